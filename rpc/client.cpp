#include "rpc/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "rpc/message.hpp"

namespace btd::rpc {

namespace {

Error io_error(std::string message) { return Error(Errc::io_error, std::move(message)); }
Error protocol_error(std::string message) { return Error(Errc::protocol_error, std::move(message)); }

}  // namespace

Client::Client(int fd, std::string path, ClientOptions options)
    : fd_(fd), path_(std::move(path)), options_(options), framer_(options.max_response_bytes) {}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      options_(other.options_),
      framer_(std::move(other.framer_)),
      lines_(std::move(other.lines_)),
      notifications_(std::move(other.notifications_)),
      next_id_(other.next_id_) {}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    options_ = other.options_;
    framer_ = std::move(other.framer_);
    lines_ = std::move(other.lines_);
    notifications_ = std::move(other.notifications_);
    next_id_ = other.next_id_;
  }
  return *this;
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Client> Client::connect(const std::string& path, ClientOptions options) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return io_error("cannot connect to btd at " + path + ": socket path is empty or longer than " +
                    std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return io_error("cannot connect to btd at " + path + ": " + std::strerror(errno));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int r;
  do {
    r = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    int err = errno;
    ::close(fd);
    return io_error("cannot connect to btd at " + path + ": " + std::strerror(err));
  }
  return Client(fd, path, options);
}

Result<Client> Client::connect_any(const std::vector<std::string>& paths, ClientOptions options) {
  std::string tried;
  for (const auto& p : paths) {
    auto c = connect(p, options);
    if (c) return c;
    if (!tried.empty()) tried += "; ";
    tried += c.error().message;
  }
  if (tried.empty()) return io_error("cannot connect to btd: no socket path to try");
  return io_error(tried);
}

std::chrono::steady_clock::time_point Client::deadline() const {
  if (options_.timeout.count() <= 0) return std::chrono::steady_clock::time_point::max();
  return std::chrono::steady_clock::now() + options_.timeout;
}

Result<void> Client::send_all(std::string_view bytes) {
  if (fd_ < 0) return io_error("not connected to btd at " + path_);
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot send to btd at " + path_ + ": " + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::string> Client::read_line(std::chrono::steady_clock::time_point until) {
  char buf[64 * 1024];
  while (lines_.empty()) {
    if (fd_ < 0) return io_error("not connected to btd at " + path_);
    int wait_ms = -1;
    if (until != std::chrono::steady_clock::time_point::max()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return io_error("timed out waiting for btd at " + path_);
      wait_ms = static_cast<int>(std::min<std::int64_t>(left.count() + 1, 1 << 30));
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot wait for btd at " + path_ + ": " + std::strerror(errno));
    }
    if (r == 0) continue;  // the deadline check above reports the timeout
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return io_error("cannot read from btd at " + path_ + ": " + std::strerror(errno));
    }
    if (n == 0) {
      if (auto rest = framer_.take_partial()) {
        lines_.push_back(std::move(*rest));
        break;
      }
      return io_error("btd at " + path_ + " closed the connection");
    }
    auto status = framer_.feed(std::string_view(buf, static_cast<std::size_t>(n)),
                               [this](std::string_view line) { lines_.emplace_back(line); });
    if (status != LineFramer::Status::ok && lines_.empty()) {
      return protocol_error("response from btd at " + path_ + " exceeds " +
                            std::to_string(options_.max_response_bytes) + " bytes");
    }
  }
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  return line;
}

Result<Json> Client::read_message(std::chrono::steady_clock::time_point until) {
  for (;;) {
    auto line = read_line(until);
    if (!line) return std::move(line).error();
    if (line->find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      return Json::parse(*line);
    } catch (const std::exception& e) {
      return protocol_error("btd at " + path_ + " sent a line that is not JSON: " + e.what());
    }
  }
}

Result<RpcResult<Json>> Client::call(std::string_view method, const Json& params) {
  std::int64_t id = next_id_++;
  Json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)}, {"params", params}};
  if (auto r = send_all(dump_compact(request) + '\n'); !r) return r.error();
  auto until = deadline();
  for (;;) {
    auto msg = read_message(until);
    if (!msg) return std::move(msg).error();
    Json& m = *msg;
    if (!m.is_object()) return protocol_error("btd at " + path_ + " sent a response that is not an object");
    auto mid = m.find("id");
    if (mid == m.end()) {
      if (m.contains("method")) notifications_.push_back(std::move(m));
      continue;
    }
    if (mid->is_null()) {
      // The server could not read our request at all.
      auto err = RpcError::from_json(m.value("error", Json()));
      if (err) return RpcResult<Json>(std::move(*err));
      return protocol_error("btd at " + path_ + " sent a response without an id");
    }
    if (!mid->is_number_integer() || mid->get<std::int64_t>() != id) continue;  // not ours (stale)
    if (auto res = m.find("result"); res != m.end()) return RpcResult<Json>(std::move(*res));
    if (auto err = RpcError::from_json(m.value("error", Json()))) return RpcResult<Json>(std::move(*err));
    return protocol_error("btd at " + path_ + " sent a response with neither result nor error");
  }
}

Result<void> Client::notify(std::string_view method, const Json& params) {
  Json request = {{"jsonrpc", "2.0"}, {"method", std::string(method)}, {"params", params}};
  return send_all(dump_compact(request) + '\n');
}

Result<std::string> Client::roundtrip_raw(std::string_view line) {
  std::string out(line);
  if (out.empty() || out.back() != '\n') out += '\n';
  if (auto r = send_all(out); !r) return r.error();
  return read_line(deadline());
}

Result<Json> Client::next_notification() {
  auto until = deadline();
  while (notifications_.empty()) {
    auto msg = read_message(until);
    if (!msg) return std::move(msg).error();
    if (msg->is_object() && msg->contains("method") && !msg->contains("id")) notifications_.push_back(std::move(*msg));
  }
  Json n = std::move(notifications_.front());
  notifications_.pop_front();
  return n;
}

}  // namespace btd::rpc
