#pragma once
// A small argument parser for btctl's subcommands: flags may come before or after positional
// arguments, `--name=value` and `--name value` both work, and `--` ends option parsing.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace btd::cli {

struct OptionSpec {
  std::string name;          // without the leading dashes, e.g. "dir"
  bool takes_value = false;
  bool repeatable = false;
  char short_name = 0;       // e.g. 'o' for -o
};

class Args {
 public:
  // Parses argv-style words; on error, `error()` holds a usage message.
  Args(const std::vector<std::string>& words, const std::vector<OptionSpec>& specs);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::vector<std::string>& positional() const { return positional_; }
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;

 private:
  std::vector<std::string> positional_;
  std::set<std::string> flags_;
  std::map<std::string, std::vector<std::string>> values_;
  std::string error_;
};

}  // namespace btd::cli
