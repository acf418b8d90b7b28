"""`meson install` puts btd, btctl, the unit files, the sysusers.d entry, the man pages and the
bash completion where a Debian package would; the man pages render without warnings and name
every flag and command the programs have; the completion completes commands, options and the
ids of the daemon's torrents."""
import json
import os
import re
import shutil
import stat
import subprocess
import unittest

from harness import BTCTL, BTD, Daemon, TempDirTest, pattern_bytes, run, write_file, btctl

SOURCE_ROOT = os.environ.get("MESON_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_ROOT = os.environ.get("MESON_BUILD_ROOT")
COMPLETION = os.path.join(SOURCE_ROOT, "completions", "btctl")


def meson():
    tool = shutil.which("meson")
    if tool is None:
        raise AssertionError("meson is not on PATH")
    return tool


def build_options(build_dir):
    opts = json.loads(run([meson(), "introspect", "--buildoptions", build_dir]).stdout)
    return {o["name"]: o["value"] for o in opts}


def under(prefix, d):
    return d if os.path.isabs(d) else os.path.join(prefix, d)


def files_under(root):
    out = set()
    for dirpath, _, names in os.walk(root):
        for n in names:
            out.add("/" + os.path.relpath(os.path.join(dirpath, n), root))
    return out


# Where Debian's packages put each file (prefix /usr; /usr/lib and /lib are one on Debian 12).
DEBIAN_LAYOUT = {
    "btd": "/usr/bin/btd",
    "btctl": "/usr/bin/btctl",
    "btd.service": "/usr/lib/systemd/system/btd.service",
    "btd.socket": "/usr/lib/systemd/system/btd.socket",
    "sysusers": "/usr/lib/sysusers.d/btd.conf",
    "btd.8": "/usr/share/man/man8/btd.8",
    "btctl.1": "/usr/share/man/man1/btctl.1",
    "completion": "/usr/share/bash-completion/completions/btctl",
}


class InstallTest(TempDirTest):
    def test_install_from_the_build_dir(self):
        if not BUILD_ROOT:
            self.fail("MESON_BUILD_ROOT is not set (run through meson test)")
        o = build_options(BUILD_ROOT)
        prefix = o["prefix"]
        dest = self.path("dest")
        # --no-rebuild: the test must not start a build in a tree others may be editing;
        # meson test has built btd and btctl already.
        run([meson(), "install", "--no-rebuild", "--quiet", "-C", BUILD_ROOT, "--destdir", dest], timeout=120)

        def p(*parts):
            return os.path.normpath(os.path.join(*parts))
        bindir = under(prefix, o["bindir"])
        mandir = under(prefix, o["mandir"])
        datadir = under(prefix, o["datadir"])
        unitdir = o.get("systemdsystemunitdir") or p(prefix, "lib/systemd/system")
        sysusersdir = o.get("sysusersdir") or p(prefix, "lib/sysusers.d")
        compdir = o.get("bashcompletiondir") or p(datadir, "bash-completion/completions")
        expected = {
            p(bindir, "btd"), p(bindir, "btctl"),
            p(unitdir, "btd.service"), p(unitdir, "btd.socket"),
            p(sysusersdir, "btd.conf"),
            p(mandir, "man8/btd.8"), p(mandir, "man1/btctl.1"),
            p(compdir, "btctl"),
        }
        got = files_under(dest)
        self.assertTrue(expected <= got, f"missing: {sorted(expected - got)}")

        for prog in ("btd", "btctl"):
            path = dest + p(bindir, prog)
            self.assertTrue(os.stat(path).st_mode & stat.S_IXUSR, f"{path} is not executable")
            self.assertIn("0.1.0", run([path, "--version"]).stdout)
        with open(dest + p(unitdir, "btd.service")) as f:
            unit = f.read()
        # The installed unit starts the installed btd.
        self.assertRegex(unit, r"(?m)^ExecStart=" + re.escape(p(bindir, "btd")) + r"( |$)")
        self.assertNotRegex(unit, r"@[a-z_]+@", "an unsubstituted @variable@ in btd.service")
        with open(dest + p(sysusersdir, "btd.conf")) as f:
            self.assertRegex(f.read(), r'(?m)^u btd - ".*" /var/lib/btd$')

    def test_a_debian_build_installs_to_debian_paths(self):
        # A fresh configuration the way debhelper does it (--prefix=/usr), without building:
        # the install plan names the binaries' destinations, and the files that need no
        # compiling are installed for real.
        build = self.path("build-debian")
        run([meson(), "setup", "--prefix=/usr", build, SOURCE_ROOT], timeout=120)
        plan = json.loads(run([meson(), "introspect", "--installed", build]).stdout)
        dests = set(plan.values())
        for what, path in DEBIAN_LAYOUT.items():
            self.assertIn(path, dests, f"{what} would not be installed at {path}: {sorted(dests)}")
        dest = self.path("dest")
        run([meson(), "install", "--no-rebuild", "--quiet", "-C", build, "--destdir", dest,
             "--tags", "systemd,man,completion"], timeout=120)
        got = files_under(dest)
        data = {v for k, v in DEBIAN_LAYOUT.items() if k not in ("btd", "btctl")}
        self.assertTrue(data <= got, f"missing: {sorted(data - got)}")
        with open(dest + DEBIAN_LAYOUT["btd.service"]) as f:
            self.assertRegex(f.read(), r"(?m)^ExecStart=/usr/bin/btd( |$)")


def groff_warnings(page):
    p = run(["groff", "-man", "-ww", "-z", page], check=False)
    return p.returncode, p.stderr


class ManPageTest(TempDirTest):
    def page(self, name):
        return os.path.join(SOURCE_ROOT, "man", name)

    def text(self, name):
        with open(self.page(name)) as f:
            # roff writes a hyphen as \-; the reader sees '-'.
            return f.read().replace("\\-", "-")

    def test_pages_render_without_warnings(self):
        if shutil.which("groff") is None and shutil.which("man") is None:
            self.skipTest("neither groff nor man is installed")
        for name in ("btd.8", "btctl.1"):
            if shutil.which("groff"):
                rc, err = groff_warnings(self.page(name))
                self.assertEqual((rc, err), (0, ""), f"groff on {name}")
            if shutil.which("man"):
                p = run(["man", "--warnings", "-l", self.page(name)], check=False,
                        env=dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="80"))
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stderr, "", f"man warnings on {name}")
                self.assertIn("NAME", p.stdout)

    def test_btd_page_names_every_flag(self):
        usage = run([BTD, "--help"]).stdout
        flags = set(re.findall(r"--[a-z][a-z-]+", usage))
        self.assertIn("--state-dir", flags)
        page = self.text("btd.8")
        for flag in flags | {"--help", "--version"}:
            self.assertIn(flag, page, f"btd(8) does not document {flag}")

    def test_btctl_page_names_every_command_and_flag(self):
        usage = run([BTCTL, "--help"]).stdout
        commands = set(re.findall(r"(?m)^  ([a-z][a-z-]+)\b", usage))
        commands |= set(re.findall(r"(?m)^  [a-z-]+ ID, ([a-z-]+) ID", usage))  # "pause ID, resume ID"
        self.assertTrue({"add", "status", "get-piece", "resume", "info", "create"} <= commands, commands)
        flags = set(re.findall(r"--[a-z][a-z-]+", usage))
        page = self.text("btctl.1")
        for c in commands:
            self.assertRegex(page, r"(?m)^\.(?:B|BI|BR)\s(?:.*\W)?" + re.escape(c) + r"\b",
                             f"btctl(1) does not document {c}")
        for flag in flags:
            self.assertIn(flag, page, f"btctl(1) does not document {flag}")


def complete(words, cword=None, env=None):
    """Runs the completion function as bash would for `words` (the last is being completed)."""
    cword = len(words) - 1 if cword is None else cword
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    script = (f"source '{COMPLETION}'\n"
              f"COMP_WORDS=({quoted}); COMP_CWORD={cword}; COMP_LINE=\"${{COMP_WORDS[*]}}\"\n"
              "_btctl\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = run(["bash", "--norc", "--noprofile", "-c", script], env=env, timeout=30)
    return [l for l in p.stdout.split("\n") if l]


class CompletionTest(TempDirTest):
    def test_syntax(self):
        run(["bash", "-n", COMPLETION])

    def test_commands_and_options(self):
        usage = run([BTCTL, "--help"]).stdout
        commands = set(re.findall(r"(?m)^  ([a-z][a-z-]+)\b", usage))
        commands |= set(re.findall(r"(?m)^  [a-z-]+ ID, ([a-z-]+) ID", usage))
        self.assertEqual(set(complete([BTCTL, ""])), commands)
        self.assertEqual(sorted(complete([BTCTL, "st"])), ["stats", "status"])
        self.assertEqual(set(complete([BTCTL, "--"])), {"--socket", "--json", "--help", "--version"})
        self.assertEqual(set(complete([BTCTL, "--json", "add", "--"])),
                         {"--dir", "--paused", "--peer", "--only", "--skip", "--json"})
        self.assertEqual(set(complete([BTCTL, "files", "abcdef", "--"])),
                         {"--skip", "--want", "--high", "--normal", "--json"})
        self.assertIn("--piece-size", complete([BTCTL, "create", "x", "--p"]))
        self.assertEqual(complete([BTCTL, "remove", "--d"]), ["--delete-data"])
        self.assertIn("--max-peers-per-torrent", complete([BTCTL, "set", "--max"]))
        self.assertEqual(complete([BTCTL, "set", "--log-level", "de"]), ["debug"])
        self.assertNotIn("--max-peers-per-torrent", complete([BTCTL, "set", "abcdef", "--max"]))
        # A value is not a command: after --socket PATH the command comes.
        self.assertEqual(sorted(complete([BTCTL, "--socket", "/x", "pa"])), ["pause"])

    def test_torrent_ids_come_from_the_daemon(self):
        d = Daemon(self).start()
        ids = []
        for n in range(2):
            src = self.path(f"f{n}.bin")
            write_file(src, pattern_bytes(40000, 20 + n))
            torrent = self.path(f"f{n}.torrent")
            btctl("create", src, "-o", torrent, "--piece-size", "16K")
            ids.append(d.ctl_json("add", torrent, "--dir", self.tmp)["id"])
        self.assertEqual(sorted(complete([BTCTL, "--socket", d.socket, "pause", ""])), sorted(ids))
        self.assertEqual(complete([BTCTL, "--socket=" + d.socket, "files", ids[0][:6]]),
                         [i for i in ids if i.startswith(ids[0][:6])])
        self.assertEqual(sorted(complete([BTCTL, "--socket", d.socket, "set", ""])), sorted(ids))
        self.assertEqual(complete([BTCTL, "--socket", d.socket, "set", "--up-limit", "1M", ids[1][:8]]), [ids[1]])
        # An ID command takes one id: nothing after it.
        self.assertEqual(complete([BTCTL, "--socket", d.socket, "verify", ids[0], ""]), [])
        # No daemon: quietly nothing.
        self.assertEqual(complete([BTCTL, "--socket", self.path("none.sock"), "pause", ""]), [])
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
