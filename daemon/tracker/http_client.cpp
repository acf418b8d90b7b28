#include "daemon/tracker/http_client.hpp"

#include <curl/curl.h>

#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

namespace btd::daemon {

namespace {

void ensure_curl_global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Request {
  std::uint64_t id = 0;
  CURL* easy = nullptr;
  std::string url;  // without query, for messages
  std::string body;
  std::size_t max_body = 0;
  bool too_large = false;
  HttpClient::Callback callback;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

// One watched curl socket. Freed in its close callback.
struct SocketWatch {
  uv_poll_t poll;
  curl_socket_t fd;
  HttpClient::Impl* impl;
};

// Freed in its close callback.
struct TimerBox {
  uv_timer_t timer;
  HttpClient::Impl* impl;
};

void on_watch_closed(uv_handle_t* handle) { delete static_cast<SocketWatch*>(handle->data); }
void on_timer_closed(uv_handle_t* handle) { delete static_cast<TimerBox*>(handle->data); }

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* request = static_cast<Request*>(user);
  const std::size_t bytes = size * count;
  // body.size() <= max_body always holds, so the subtraction cannot wrap.
  if (bytes > request->max_body - request->body.size()) {
    request->too_large = true;
    return 0;  // curl aborts the transfer with CURLE_WRITE_ERROR
  }
  request->body.append(data, bytes);
  return bytes;
}

}  // namespace

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  uv_loop_t* loop = nullptr;
  HttpClientOptions options;
  CURLM* multi = nullptr;
  TimerBox* timer = nullptr;
  std::set<SocketWatch*> watches;  // open polls, so close() can close any curl forgot
  bool closing = false;
  std::map<std::uint64_t, std::unique_ptr<Request>> requests;
  std::uint64_t next_id = 1;

  static int socket_callback(CURL* easy, curl_socket_t fd, int what, void* user, void* socketp);
  static int timer_callback(CURLM* multi, long timeout_ms, void* user);
  static void on_poll(uv_poll_t* handle, int status, int events);
  static void on_timer(uv_timer_t* handle);

  void watch(curl_socket_t fd, int what, SocketWatch* existing);
  void unwatch(curl_socket_t fd, SocketWatch* existing);
  void drive(curl_socket_t fd, int flags);
  void finish_done_transfers();
  Result<std::string> outcome(Request& request, CURLcode code);
  void drop(Request& request);
  void close();
};

int HttpClient::Impl::socket_callback(CURL* /*easy*/, curl_socket_t fd, int what, void* user,
                                      void* socketp) {
  auto* self = static_cast<Impl*>(user);
  auto* existing = static_cast<SocketWatch*>(socketp);
  if (what == CURL_POLL_REMOVE) {
    self->unwatch(fd, existing);
  } else {
    self->watch(fd, what, existing);
  }
  return 0;
}

void HttpClient::Impl::watch(curl_socket_t fd, int what, SocketWatch* existing) {
  if (closing) return;
  SocketWatch* w = existing;
  if (w == nullptr) {
    w = new SocketWatch{};
    w->fd = fd;
    w->impl = this;
    w->poll.data = w;
    if (uv_poll_init_socket(loop, &w->poll, fd) != 0) {
      delete w;
      return;  // curl's transfer then times out and reports it
    }
    curl_multi_assign(multi, fd, w);
    watches.insert(w);
  }
  int events = 0;
  if ((what & CURL_POLL_IN) != 0) events |= UV_READABLE;
  if ((what & CURL_POLL_OUT) != 0) events |= UV_WRITABLE;
  uv_poll_start(&w->poll, events, on_poll);
}

void HttpClient::Impl::unwatch(curl_socket_t fd, SocketWatch* existing) {
  if (existing == nullptr || watches.erase(existing) == 0) return;
  // uv_poll_stop (inside uv_close) forgets the fd at once, before curl closes it.
  uv_close(reinterpret_cast<uv_handle_t*>(&existing->poll), on_watch_closed);
  if (!closing) curl_multi_assign(multi, fd, nullptr);
}

int HttpClient::Impl::timer_callback(CURLM* /*multi*/, long timeout_ms, void* user) {
  auto* self = static_cast<Impl*>(user);
  if (self->timer == nullptr) return 0;
  if (timeout_ms < 0) {
    uv_timer_stop(&self->timer->timer);
  } else {
    // Even a 0 ms timeout goes through the loop: curl forbids calling it back from here.
    uv_timer_start(&self->timer->timer, on_timer, static_cast<std::uint64_t>(timeout_ms), 0);
  }
  return 0;
}

void HttpClient::Impl::on_poll(uv_poll_t* handle, int status, int events) {
  auto* w = static_cast<SocketWatch*>(handle->data);
  int flags = 0;
  if (status < 0) {
    flags = CURL_CSELECT_ERR;
  } else {
    if ((events & UV_READABLE) != 0) flags |= CURL_CSELECT_IN;
    if ((events & UV_WRITABLE) != 0) flags |= CURL_CSELECT_OUT;
  }
  auto keep = w->impl->shared_from_this();  // a user callback may destroy the client
  keep->drive(w->fd, flags);
}

void HttpClient::Impl::on_timer(uv_timer_t* handle) {
  auto* box = static_cast<TimerBox*>(handle->data);
  auto keep = box->impl->shared_from_this();
  keep->drive(CURL_SOCKET_TIMEOUT, 0);
}

void HttpClient::Impl::drive(curl_socket_t fd, int flags) {
  if (multi == nullptr) return;
  int running = 0;
  curl_multi_socket_action(multi, fd, flags, &running);
  finish_done_transfers();
}

Result<std::string> HttpClient::Impl::outcome(Request& request, CURLcode code) {
  const std::string what = "GET " + request.url + ": ";
  if (request.too_large) {
    return Error(Errc::limit_exceeded, what + "response body is larger than the limit of " +
                                           std::to_string(request.max_body) + " bytes");
  }
  if (code == CURLE_FILESIZE_EXCEEDED) {
    return Error(Errc::limit_exceeded, what + "response body (Content-Length) is larger than " +
                                           "the limit of " + std::to_string(request.max_body) +
                                           " bytes");
  }
  if (code == CURLE_TOO_MANY_REDIRECTS) {
    return Error(Errc::protocol_error, what + "more than " +
                                           std::to_string(options.max_redirects) + " redirects");
  }
  if (code != CURLE_OK) {
    std::string detail = request.error_buffer[0] != '\0' ? request.error_buffer
                                                         : curl_easy_strerror(code);
    return Error(Errc::io_error, what + detail);
  }
  long status = 0;
  curl_easy_getinfo(request.easy, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return Error(Errc::protocol_error,
                 what + "HTTP status " + std::to_string(status) + " (expected 200)");
  }
  return std::move(request.body);
}

void HttpClient::Impl::finish_done_transfers() {
  // Outcomes are gathered first and delivered afterwards: a callback may start, cancel or close.
  std::vector<std::pair<Callback, Result<std::string>>> done;
  int left = 0;
  while (multi != nullptr) {
    CURLMsg* message = curl_multi_info_read(multi, &left);
    if (message == nullptr) break;
    if (message->msg != CURLMSG_DONE) continue;
    Request* request = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &request);
    if (request == nullptr) continue;
    const CURLcode code = message->data.result;
    auto it = requests.find(request->id);
    if (it == requests.end()) continue;
    done.emplace_back(std::move(request->callback), outcome(*request, code));
    drop(*request);  // invalidates `message`; info_read is called afresh
  }
  for (auto& [callback, result] : done) {
    if (callback) callback(std::move(result));
  }
}

void HttpClient::Impl::drop(Request& request) {
  if (multi != nullptr) curl_multi_remove_handle(multi, request.easy);
  curl_easy_cleanup(request.easy);
  requests.erase(request.id);
}

void HttpClient::Impl::close() {
  if (multi == nullptr) return;
  while (!requests.empty()) drop(*requests.begin()->second);
  // Cleanup may still report sockets to remove (cached connections); the socket callback
  // closes their polls, and whatever is left is closed here.
  closing = true;
  curl_multi_cleanup(multi);
  multi = nullptr;
  for (SocketWatch* w : watches) {
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), on_watch_closed);
  }
  watches.clear();
  if (timer != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer->timer), on_timer_closed);
    timer = nullptr;
  }
}

HttpClient::HttpClient(uv_loop_t* loop, HttpClientOptions options)
    : impl_(std::make_shared<Impl>()) {
  ensure_curl_global_init();
  impl_->loop = loop;
  impl_->options = std::move(options);
  impl_->multi = curl_multi_init();
  if (impl_->multi == nullptr) return;  // get() reports it
  impl_->timer = new TimerBox{};
  impl_->timer->impl = impl_.get();
  impl_->timer->timer.data = impl_->timer;
  uv_timer_init(loop, &impl_->timer->timer);
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETFUNCTION, &Impl::socket_callback);
  curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETDATA, impl_.get());
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERFUNCTION, &Impl::timer_callback);
  curl_multi_setopt(impl_->multi, CURLMOPT_TIMERDATA, impl_.get());
}

HttpClient::~HttpClient() { close(); }

Result<std::uint64_t> HttpClient::get(const std::string& url, std::chrono::milliseconds timeout,
                                      std::size_t max_body_bytes, Callback callback) {
  Impl& self = *impl_;
  if (self.multi == nullptr) {
    return Error(Errc::invalid_argument, "GET " + url_without_query(url) +
                                             ": the HTTP client is closed");
  }
  auto request = std::make_unique<Request>();
  request->id = self.next_id++;
  request->url = url_without_query(url);
  request->max_body = max_body_bytes;
  request->callback = std::move(callback);
  request->easy = curl_easy_init();
  if (request->easy == nullptr) {
    return Error(Errc::io_error, "GET " + request->url + ": curl_easy_init failed");
  }
  CURL* easy = request->easy;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PRIVATE, request.get());
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, request->error_buffer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, request.get());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, self.options.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, self.options.max_redirects);
  // A tracker must not be able to point us at file:// or anything else curl speaks.
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // the limit applies to decoded bytes
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_body_bytes));
  const CURLMcode added = curl_multi_add_handle(self.multi, easy);
  if (added != CURLM_OK) {
    curl_easy_cleanup(easy);
    return Error(Errc::io_error,
                 "GET " + request->url + ": " + std::string(curl_multi_strerror(added)));
  }
  const std::uint64_t id = request->id;
  self.requests.emplace(id, std::move(request));
  return id;
}

void HttpClient::cancel(std::uint64_t id) {
  auto it = impl_->requests.find(id);
  if (it != impl_->requests.end()) impl_->drop(*it->second);
}

void HttpClient::cancel_all() {
  while (!impl_->requests.empty()) impl_->drop(*impl_->requests.begin()->second);
}

void HttpClient::close() { impl_->close(); }

std::size_t HttpClient::active_requests() const { return impl_->requests.size(); }

std::string url_without_query(const std::string& url) {
  const auto cut = url.find_first_of("?#");
  return cut == std::string::npos ? url : url.substr(0, cut);
}

}  // namespace btd::daemon
