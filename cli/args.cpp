#include "cli/args.hpp"

namespace btd::cli {

Args::Args(const std::vector<std::string>& words, const std::vector<OptionSpec>& specs) {
  auto find_long = [&](const std::string& name) -> const OptionSpec* {
    for (const auto& s : specs)
      if (s.name == name) return &s;
    return nullptr;
  };
  auto find_short = [&](char c) -> const OptionSpec* {
    for (const auto& s : specs)
      if (s.short_name != 0 && s.short_name == c) return &s;
    return nullptr;
  };

  bool options_done = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (options_done || w.size() < 2 || w[0] != '-') {
      positional_.push_back(w);
      continue;
    }
    if (w == "--") {
      options_done = true;
      continue;
    }
    const OptionSpec* spec = nullptr;
    std::optional<std::string> inline_value;
    std::string shown = w;
    if (w.rfind("--", 0) == 0) {
      std::string name = w.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
        shown = "--" + name;
      }
      spec = find_long(name);
    } else if (w.size() == 2) {
      spec = find_short(w[1]);
    }
    if (spec == nullptr) {
      error_ = "unknown option " + shown;
      return;
    }
    if (!spec->takes_value) {
      if (inline_value) {
        error_ = "option --" + spec->name + " takes no value";
        return;
      }
      flags_.insert(spec->name);
      continue;
    }
    std::string v;
    if (inline_value) {
      v = *inline_value;
    } else if (i + 1 < words.size()) {
      v = words[++i];
    } else {
      error_ = "option " + shown + " needs a value";
      return;
    }
    auto& slot = values_[spec->name];
    if (!slot.empty() && !spec->repeatable) {
      error_ = "option --" + spec->name + " given more than once";
      return;
    }
    slot.push_back(std::move(v));
  }
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace btd::cli
