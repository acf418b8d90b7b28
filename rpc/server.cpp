#include "rpc/server.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <vector>

#include "rpc/error_codes.hpp"
#include "rpc/message.hpp"
#include "rpc/peer_credentials.hpp"

namespace btd::rpc {

namespace detail {

struct Listener {
  uv_pipe_t pipe{};
  std::weak_ptr<UnixSocketServer::Impl> server;
};

struct Connection {
  // A response slot per request line, in arrival order; answered slots leave from the front.
  struct Slot {
    bool done = false;
    std::string line;  // empty: nothing to send (a notification)
  };

  uv_pipe_t pipe{};
  std::uint64_t id = 0;
  std::weak_ptr<UnixSocketServer::Impl> server;
  LineFramer framer;
  std::deque<Slot> queue;
  std::uint64_t first_seq = 0;  // sequence number of queue.front()
  std::size_t queued_bytes = 0;  // handed to uv_write, not yet completed
  std::size_t writes_in_flight = 0;
  bool reading = false;
  bool input_done = false;  // EOF or an oversized line: read no more, finish the answers, close
  bool closing = false;
  char buf[64 * 1024];

  explicit Connection(std::size_t max_line) : framer(max_line) {}
};

struct WriteRequest {
  uv_write_t req{};
  std::string data;
  std::weak_ptr<UnixSocketServer::Impl> server;
  std::uint64_t connection = 0;
};

}  // namespace detail

using detail::Connection;
using detail::Listener;
using detail::WriteRequest;

struct UnixSocketServer::Impl : std::enable_shared_from_this<UnixSocketServer::Impl> {
  uv_loop_t* loop;
  Dispatcher& dispatcher;
  ServerOptions options;
  Listener* listener = nullptr;
  std::string path;
  bool owns_path = false;
  dev_t path_dev = 0;
  ino_t path_ino = 0;
  std::map<std::uint64_t, Connection*> connections;
  std::uint64_t next_id = 1;
  bool closed = false;

  Impl(uv_loop_t* l, Dispatcher& d, ServerOptions o) : loop(l), dispatcher(d), options(std::move(o)) {}

  Connection* find(std::uint64_t id) {
    auto it = connections.find(id);
    return it == connections.end() ? nullptr : it->second;
  }

  Result<void> start_listening(Listener* l, std::string_view what);
  void accept();
  // SO_PEERCRED check; a refused client gets one error line and is closed.
  bool admit(Connection* c);
  gid_t socket_group() const;
  void on_read(Connection* c, ssize_t nread);
  void handle_line(Connection* c, std::string_view line);
  void complete(std::uint64_t id, std::uint64_t seq, std::string line);
  void flush(Connection* c);
  bool write(Connection* c, std::string line);
  void on_write_done(std::uint64_t id, std::size_t bytes, int status);
  void update_reading(Connection* c);
  void maybe_finish(Connection* c);
  void close_connection(Connection* c);
  void close_all();
};

namespace {

void on_listener_closed(uv_handle_t* h) { delete static_cast<Listener*>(h->data); }
void on_connection_closed(uv_handle_t* h) { delete static_cast<Connection*>(h->data); }

void on_new_connection(uv_stream_t* stream, int status) {
  auto* l = static_cast<Listener*>(stream->data);
  auto server = l->server.lock();
  if (!server || status < 0) return;
  server->accept();
}

void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(h->data);
  *buf = uv_buf_init(c->buf, sizeof(c->buf));
}

void on_read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  auto* c = static_cast<Connection*>(stream->data);
  if (auto server = c->server.lock()) server->on_read(c, nread);
}

bool peer_gone(Connection* c) {
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&c->pipe), &fd) != 0) return false;
  pollfd p{fd, 0, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) != 0;
}

void on_write_cb(uv_write_t* req, int status) {
  std::unique_ptr<WriteRequest> w(static_cast<WriteRequest*>(req->data));
  if (auto server = w->server.lock()) server->on_write_done(w->connection, w->data.size(), status);
}

Error io_error(std::string message) { return Error(Errc::io_error, std::move(message)); }

// A client hanging up must cost one connection, not the process. Leaves a handler the
// application installed alone.
void ignore_sigpipe() {
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, nullptr);
  }
}

std::string errno_text(int err) { return std::strerror(err); }

// mkdir -p, with `mode` for the directories it creates (existing ones are left alone).
Result<void> make_parent_dirs(const std::string& path, unsigned mode) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return {};
  std::string dir = path.substr(0, slash);
  for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
      return io_error("cannot create directory " + prefix + " for the RPC socket: " + errno_text(errno));
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return io_error("cannot use directory " + dir + " for the RPC socket: " + errno_text(errno));
  }
  if (!S_ISDIR(st.st_mode)) return io_error("cannot use " + dir + " for the RPC socket: not a directory");
  return {};
}

// A socket file left by a crashed daemon is removed; a live one, or anything that is not a
// socket, is left alone and reported.
Result<void> clear_stale_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return io_error("cannot inspect " + path + ": " + errno_text(errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return io_error(path + " exists and is not a socket; refusing to replace it (remove it or choose another --socket)");
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return io_error("cannot create a socket to probe " + path + ": " + errno_text(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int r = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  ::close(fd);
  if (r == 0) return io_error("another btd is already listening on " + path);
  if (err != ECONNREFUSED) return io_error("cannot probe existing socket " + path + ": " + errno_text(err));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return io_error("cannot remove stale socket " + path + ": " + errno_text(errno));
  }
  return {};
}

}  // namespace

Result<void> UnixSocketServer::Impl::start_listening(Listener* l, std::string_view what) {
  int r = uv_listen(reinterpret_cast<uv_stream_t*>(&l->pipe), 128, on_new_connection);
  if (r < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&l->pipe), on_listener_closed);
    return io_error("cannot listen on " + std::string(what) + ": " + uv_strerror(r));
  }
  listener = l;
  return {};
}

void UnixSocketServer::Impl::accept() {
  auto* c = new Connection(options.max_request_bytes);
  c->pipe.data = c;
  c->server = weak_from_this();
  if (uv_pipe_init(loop, &c->pipe, 0) != 0) {
    delete c;
    return;
  }
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener->pipe), reinterpret_cast<uv_stream_t*>(&c->pipe)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe), on_connection_closed);
    return;
  }
  if (!admit(c)) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe), on_connection_closed);
    return;
  }
  c->id = next_id++;
  connections.emplace(c->id, c);
  update_reading(c);
}

bool UnixSocketServer::Impl::admit(Connection* c) {
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&c->pipe), &fd) != 0) return false;
  auto peer = peer_credentials(fd);
  if (!peer) return false;
  const gid_t group = socket_group();
  if (may_control(*peer, ::geteuid(), group)) return true;
  // One short line, written directly: a refused client gets no buffers of ours.
  const std::string line = refusal_line(*peer, group);
  (void)!::send(fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  return false;
}

gid_t UnixSocketServer::Impl::socket_group() const {
  // The socket file's group as it is now (an admin may chgrp it while the daemon runs); for an
  // inherited socket, the file it is bound to. Our own group if neither can be read.
  std::string file = path;
  uv_os_fd_t listen_fd = -1;
  if (file.empty() && listener != nullptr &&
      uv_fileno(reinterpret_cast<const uv_handle_t*>(&listener->pipe), &listen_fd) == 0) {
    sockaddr_un addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 && addr.sun_path[0] != '\0')
      file.assign(addr.sun_path, ::strnlen(addr.sun_path, sizeof addr.sun_path));
  }
  struct stat st {};
  if (!file.empty() && ::lstat(file.c_str(), &st) == 0) return st.st_gid;
  return ::getegid();
}

void UnixSocketServer::Impl::on_read(Connection* c, ssize_t nread) {
  if (c->closing || nread == 0) return;
  if (nread == UV_EOF) {
    // The client may half-close after its last request (printf ... | socat): answer, then
    // close. A client that closed completely (POLLHUP) is dropped at once, so its unanswered
    // requests do not keep the connection open.
    if (peer_gone(c)) {
      close_connection(c);
      return;
    }
    c->input_done = true;
    if (auto rest = c->framer.take_partial()) handle_line(c, *rest);
  } else if (nread < 0) {
    close_connection(c);
    return;
  } else {
    auto status = c->framer.feed(std::string_view(c->buf, static_cast<std::size_t>(nread)),
                                 [this, c](std::string_view line) {
                                   if (!c->closing && !c->input_done) handle_line(c, line);
                                 });
    if (c->closing) return;
    if (status == LineFramer::Status::overflow) {
      c->input_done = true;
      c->queue.push_back({true, error_response_line(
                                    nullptr, RpcError(code::invalid_request,
                                                      "invalid request: request line exceeds " +
                                                          std::to_string(options.max_request_bytes) +
                                                          " bytes (rpc.max_request_bytes)"))});
    }
  }
  flush(c);
}

void UnixSocketServer::Impl::handle_line(Connection* c, std::string_view line) {
  std::uint64_t seq = c->first_seq + c->queue.size();
  c->queue.emplace_back();
  std::uint64_t id = c->id;
  std::weak_ptr<Impl> weak = weak_from_this();
  bool answers = dispatcher.handle_line(
      line,
      [weak, id, seq](std::string out) {
        if (auto self = weak.lock()) self->complete(id, seq, std::move(out));
      },
      CallContext{id});
  if (!answers) complete(id, seq, {});
}

void UnixSocketServer::Impl::complete(std::uint64_t id, std::uint64_t seq, std::string line) {
  Connection* c = find(id);
  if (!c || c->closing || seq < c->first_seq) return;
  std::uint64_t index = seq - c->first_seq;
  if (index >= c->queue.size()) return;
  auto& slot = c->queue[static_cast<std::size_t>(index)];
  if (slot.done) return;
  slot.done = true;
  slot.line = std::move(line);
  if (index == 0) flush(c);
}

void UnixSocketServer::Impl::flush(Connection* c) {
  while (!c->closing && !c->queue.empty() && c->queue.front().done) {
    std::string line = std::move(c->queue.front().line);
    c->queue.pop_front();
    ++c->first_seq;
    if (!line.empty() && !write(c, std::move(line))) return;
  }
  if (c->closing) return;
  update_reading(c);
  maybe_finish(c);
}

bool UnixSocketServer::Impl::write(Connection* c, std::string line) {
  if (c->closing) return false;
  if (c->queued_bytes > 0 && c->queued_bytes + line.size() > options.write_hard_limit) {
    // The client does not read what it asked for; drop it rather than buffer without end.
    close_connection(c);
    return false;
  }
  auto* w = new WriteRequest;
  w->req.data = w;
  w->data = std::move(line);
  w->server = weak_from_this();
  w->connection = c->id;
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  std::size_t size = w->data.size();
  int r = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->pipe), &buf, 1, on_write_cb);
  if (r < 0) {
    delete w;
    close_connection(c);
    return false;
  }
  c->queued_bytes += size;
  ++c->writes_in_flight;
  return true;
}

void UnixSocketServer::Impl::on_write_done(std::uint64_t id, std::size_t bytes, int status) {
  Connection* c = find(id);
  if (!c || c->closing) return;
  c->queued_bytes -= bytes;
  --c->writes_in_flight;
  if (status < 0) {
    close_connection(c);
    return;
  }
  update_reading(c);
  maybe_finish(c);
}

void UnixSocketServer::Impl::update_reading(Connection* c) {
  if (c->closing) return;
  auto* stream = reinterpret_cast<uv_stream_t*>(&c->pipe);
  if (c->input_done) {
    if (c->reading) uv_read_stop(stream);
    c->reading = false;
    return;
  }
  // Hysteresis: pause above the limits, resume below half of them.
  if (c->reading) {
    if (c->queued_bytes > options.write_soft_limit || c->queue.size() >= options.max_pending_requests) {
      uv_read_stop(stream);
      c->reading = false;
    }
  } else if (c->queued_bytes <= options.write_soft_limit / 2 && c->queue.size() <= options.max_pending_requests / 2) {
    if (uv_read_start(stream, on_alloc, on_read_cb) == 0) {
      c->reading = true;
    } else {
      close_connection(c);
    }
  }
}

void UnixSocketServer::Impl::maybe_finish(Connection* c) {
  if (!c->closing && c->input_done && c->queue.empty() && c->writes_in_flight == 0) close_connection(c);
}

void UnixSocketServer::Impl::close_connection(Connection* c) {
  if (c->closing) return;
  c->closing = true;
  std::uint64_t id = c->id;
  connections.erase(id);
  // Pending writes are cancelled; their callbacks find no connection under this id.
  uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe), on_connection_closed);
  if (options.on_disconnect) options.on_disconnect(id);
}

void UnixSocketServer::Impl::close_all() {
  if (closed) return;
  closed = true;
  if (listener) {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener->pipe), on_listener_closed);
    listener = nullptr;
  }
  std::vector<Connection*> all;
  for (auto& [id, c] : connections) all.push_back(c);
  for (auto* c : all) close_connection(c);
  if (owns_path) {
    // Only if it is still our socket: a successor may have replaced it.
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && st.st_dev == path_dev && st.st_ino == path_ino) ::unlink(path.c_str());
    owns_path = false;
  }
}

UnixSocketServer::UnixSocketServer(uv_loop_t* loop, Dispatcher& dispatcher, ServerOptions options)
    : impl_(std::make_shared<Impl>(loop, dispatcher, std::move(options))) {}

UnixSocketServer::~UnixSocketServer() { close(); }

Result<void> UnixSocketServer::listen(const std::string& path) {
  if (impl_->closed) return io_error("cannot listen on " + path + ": the RPC server is closed");
  if (impl_->listener) return io_error("cannot listen on " + path + ": already listening on " + impl_->path);
  if (path.empty()) return io_error("cannot listen: empty RPC socket path");
  ignore_sigpipe();
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return io_error("RPC socket path is too long (" + std::to_string(path.size()) + " bytes, at most " +
                    std::to_string(sizeof(sockaddr_un::sun_path) - 1) + "): " + path);
  }
  if (auto r = make_parent_dirs(path, impl_->options.directory_mode); !r) return r;
  if (auto r = clear_stale_socket(path); !r) return r;

  auto* l = new Listener;
  l->pipe.data = l;
  l->server = impl_;
  if (int r = uv_pipe_init(impl_->loop, &l->pipe, 0); r < 0) {
    delete l;
    return io_error("cannot create RPC socket " + path + ": " + uv_strerror(r));
  }
  auto* handle = reinterpret_cast<uv_handle_t*>(&l->pipe);
  if (int r = uv_pipe_bind(&l->pipe, path.c_str()); r < 0) {
    uv_close(handle, on_listener_closed);
    return io_error("cannot bind RPC socket " + path + ": " + uv_strerror(r));
  }
  struct stat st {};
  if (::chmod(path.c_str(), 0660) != 0 || ::lstat(path.c_str(), &st) != 0) {
    int err = errno;
    uv_close(handle, on_listener_closed);
    ::unlink(path.c_str());
    return io_error("cannot set mode 0660 on RPC socket " + path + ": " + errno_text(err));
  }
  if (auto r = impl_->start_listening(l, path); !r) {
    ::unlink(path.c_str());
    return r;
  }
  impl_->path = path;
  impl_->owns_path = true;
  impl_->path_dev = st.st_dev;
  impl_->path_ino = st.st_ino;
  return {};
}

Result<void> UnixSocketServer::listen_fd(int fd) {
  std::string what = "inherited fd " + std::to_string(fd);
  if (impl_->closed) return io_error("cannot listen on " + what + ": the RPC server is closed");
  if (impl_->listener) return io_error("cannot listen on " + what + ": already listening");
  ignore_sigpipe();
  auto* l = new Listener;
  l->pipe.data = l;
  l->server = impl_;
  if (int r = uv_pipe_init(impl_->loop, &l->pipe, 0); r < 0) {
    delete l;
    return io_error("cannot use " + what + ": " + uv_strerror(r));
  }
  if (int r = uv_pipe_open(&l->pipe, fd); r < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&l->pipe), on_listener_closed);
    return io_error("cannot use " + what + ": " + uv_strerror(r));
  }
  return impl_->start_listening(l, what);
}

bool UnixSocketServer::push(std::uint64_t connection, std::string line) {
  Connection* c = impl_->find(connection);
  if (!c || c->closing) return false;
  return impl_->write(c, std::move(line));
}

bool UnixSocketServer::notify(std::uint64_t connection, std::string_view method, Json params) {
  if (!impl_->find(connection)) return false;
  return push(connection, notification_line(method, std::move(params)));
}

void UnixSocketServer::close() { impl_->close_all(); }

std::size_t UnixSocketServer::connection_count() const { return impl_->connections.size(); }

const std::string& UnixSocketServer::path() const { return impl_->path; }

}  // namespace btd::rpc
