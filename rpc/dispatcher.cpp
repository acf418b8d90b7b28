#include "rpc/dispatcher.hpp"

#include <optional>
#include <vector>

#include "rpc/error_codes.hpp"
#include "rpc/json_depth.hpp"
#include "rpc/message.hpp"
#include "rpc/utf8.hpp"

namespace btd::rpc {

struct Responder::State {
  Json id;
  bool notification = false;
  bool answered = false;
  CallContext context;
  std::function<void(std::string)> sink;  // gets the compact response object, no newline

  State(Json request_id, bool is_notification, CallContext ctx, std::function<void(std::string)> out)
      : id(std::move(request_id)), notification(is_notification), context(ctx), sink(std::move(out)) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  ~State() {
    if (answered) return;
    try {
      deliver(make_error_response(
          id, RpcError(code::internal_error, "internal error: the request was dropped without an answer")));
    } catch (...) {
    }
  }

  void deliver(const Json& response) noexcept {
    if (answered) return;
    answered = true;
    if (notification || !sink) return;
    try {
      sink(dump_compact(response));
    } catch (...) {
      // Out of memory while serializing: nothing sensible left to send.
    }
  }
};

void Responder::result(Json value) const noexcept {
  if (!state_ || state_->answered) return;
  try {
    state_->deliver(make_result_response(state_->id, std::move(value)));
  } catch (...) {
    state_->deliver(make_error_response(state_->id, RpcError(code::internal_error, "internal error")));
  }
}

void Responder::error(RpcError err) const noexcept {
  if (!state_ || state_->answered) return;
  try {
    state_->deliver(make_error_response(state_->id, err));
  } catch (...) {
    state_->answered = true;
  }
}

bool Responder::answered() const noexcept { return !state_ || state_->answered; }
bool Responder::is_notification() const noexcept { return state_ && state_->notification; }

const CallContext& Responder::context() const noexcept {
  static const CallContext none;
  return state_ ? state_->context : none;
}

namespace {

// Quotes a client-supplied name for an error message, cut short so a 64 MiB method name does not
// come back in full. The input is valid UTF-8; the cut never splits a character.
std::string quote_for_message(std::string_view s) {
  constexpr std::size_t max = 128;
  std::string out = "\"";
  if (s.size() <= max) {
    out.append(s);
  } else {
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    out.append(s.substr(0, cut));
    out.append("...");
  }
  out += '"';
  return out;
}

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

bool valid_id(const Json& id) { return id.is_string() || id.is_number() || id.is_null(); }

// The id to put in a response to this element, valid or not (null when it has none usable).
Json response_id(const Json& request) {
  if (!request.is_object()) return nullptr;
  auto it = request.find("id");
  if (it == request.end() || !valid_id(*it)) return nullptr;
  return *it;
}

std::optional<RpcError> check_request_shape(const Json& request) {
  auto invalid = [](std::string what) { return RpcError(code::invalid_request, "invalid request: " + what); };
  if (!request.is_object()) return invalid("expected a JSON-RPC request object");
  auto v = request.find("jsonrpc");
  if (v == request.end() || !v->is_string() || v->get_ref<const std::string&>() != "2.0") {
    return invalid("\"jsonrpc\" must be \"2.0\"");
  }
  auto m = request.find("method");
  if (m == request.end() || !m->is_string()) return invalid("\"method\" must be a string");
  auto id = request.find("id");
  if (id != request.end() && !valid_id(*id)) return invalid("\"id\" must be a string, a number or null");
  auto p = request.find("params");
  if (p != request.end() && !p->is_object() && !p->is_array()) {
    return invalid("\"params\" must be an object or an array");
  }
  return std::nullopt;
}

bool is_notification(const Json& request) { return !request.contains("id"); }

// nlohmann's messages start with "[json.exception.parse_error.101] "; users need the rest.
std::string parse_error_message(const Json::parse_error& e) {
  std::string_view what = e.what();
  if (auto close = what.find("] "); what.starts_with("[json.exception.") && close != std::string_view::npos) {
    what.remove_prefix(close + 2);
  }
  return std::string(what);
}

// Collects the responses of a batch and sends them as one array line, in request order, once
// the last one is in.
struct Batch {
  std::vector<std::optional<std::string>> slots;
  std::size_t remaining = 0;
  std::function<void(std::string)> send;

  void fill(std::size_t i, std::string response) {
    if (slots[i]) return;
    slots[i] = std::move(response);
    if (--remaining != 0) return;
    std::string line = "[";
    for (std::size_t k = 0; k < slots.size(); ++k) {
      if (k) line += ',';
      line += *slots[k];
    }
    line += "]\n";
    slots.clear();
    send(std::move(line));
  }
};

}  // namespace

void Dispatcher::add(std::string method, Handler handler) {
  methods_.insert_or_assign(std::move(method), std::move(handler));
}

void Dispatcher::add_sync(std::string method, SyncHandler handler) {
  add(std::move(method), [h = std::move(handler)](const Json& params, Responder respond) {
    RpcResult<Json> r = h(params);
    if (r.ok()) {
      respond.result(std::move(r).value());
    } else {
      respond.error(std::move(r).error());
    }
  });
}

bool Dispatcher::has(std::string_view method) const { return methods_.find(method) != methods_.end(); }

void Dispatcher::dispatch(const Json& request, const Responder& respond) const noexcept {
  try {
    const auto& method = request.at("method").get_ref<const std::string&>();
    auto it = methods_.find(method);
    if (it == methods_.end()) {
      respond.error(code::method_not_found, "method not found: " + quote_for_message(method));
      return;
    }
    static const Json no_params = Json::object();
    auto p = request.find("params");
    it->second(p != request.end() ? *p : no_params, respond);
  } catch (const std::exception& e) {
    respond.error(code::internal_error, std::string("internal error: ") + e.what());
  } catch (...) {
    respond.error(code::internal_error, "internal error: unknown exception");
  }
}

bool Dispatcher::handle_line(std::string_view line, std::function<void(std::string)> send,
                             CallContext context) noexcept {
  bool promised = false;  // once true, responses flow through responders
  try {
    if (is_blank(line)) return false;
    if (auto bad = find_invalid_utf8(line)) {
      send(error_response_line(nullptr, RpcError(code::parse_error, "parse error: invalid UTF-8 at byte " +
                                                                        std::to_string(*bad))));
      return true;
    }
    // nlohmann's parser takes a NUL byte for the end of its input and would accept
    // `{...}\0<anything>` as the request before it; JSON text never contains a raw NUL.
    if (auto nul = line.find('\0'); nul != std::string_view::npos) {
      send(error_response_line(nullptr, RpcError(code::parse_error, "parse error: NUL byte at byte " +
                                                                        std::to_string(nul))));
      return true;
    }
    if (!json_depth_within(line, max_json_depth)) {
      send(error_response_line(nullptr, RpcError(code::invalid_request,
                                                 "invalid request: JSON nested deeper than " +
                                                     std::to_string(max_json_depth) + " levels")));
      return true;
    }
    Json doc;
    try {
      doc = Json::parse(line.begin(), line.end());
    } catch (const Json::parse_error& e) {
      send(error_response_line(nullptr, RpcError(code::parse_error, parse_error_message(e))));
      return true;
    }

    if (!doc.is_array()) {
      if (auto bad = check_request_shape(doc)) {
        send(error_response_line(response_id(doc), *bad));
        return true;
      }
      bool note = is_notification(doc);
      std::function<void(std::string)> sink;
      if (!note) sink = [send = std::move(send)](std::string r) { send(std::move(r) + '\n'); };
      promised = !note;
      Responder respond(std::make_shared<Responder::State>(response_id(doc), note, context, std::move(sink)));
      dispatch(doc, respond);
      return !note;
    }

    if (doc.empty()) {
      send(error_response_line(nullptr, RpcError(code::invalid_request, "invalid request: empty batch")));
      return true;
    }
    // Classify first: the batch must know how many answers to wait for before any handler runs,
    // since handlers may answer synchronously.
    std::vector<std::optional<RpcError>> problems;
    problems.reserve(doc.size());
    auto batch = std::make_shared<Batch>();
    std::vector<std::size_t> slot_of(doc.size(), SIZE_MAX);
    for (std::size_t i = 0; i < doc.size(); ++i) {
      problems.push_back(check_request_shape(doc[i]));
      if (problems.back() || !is_notification(doc[i])) slot_of[i] = batch->remaining++;
    }
    if (batch->remaining == 0) {
      for (const auto& request : doc) {
        Responder respond(std::make_shared<Responder::State>(nullptr, true, context, nullptr));
        dispatch(request, respond);
      }
      return false;
    }
    batch->slots.resize(batch->remaining);
    batch->send = std::move(send);
    promised = true;
    for (std::size_t i = 0; i < doc.size(); ++i) {
      const Json& request = doc[i];
      if (problems[i]) {
        batch->fill(slot_of[i], dump_compact(make_error_response(response_id(request), *problems[i])));
        continue;
      }
      std::function<void(std::string)> sink;
      bool note = slot_of[i] == SIZE_MAX;
      if (!note) sink = [batch, slot = slot_of[i]](std::string r) { batch->fill(slot, std::move(r)); };
      Responder respond(std::make_shared<Responder::State>(response_id(request), note, context, std::move(sink)));
      dispatch(request, respond);
    }
    return true;
  } catch (...) {
    // Only allocation failures get here; answer if no responder was going to.
    if (promised) return true;
    try {
      send(error_response_line(nullptr, RpcError(code::internal_error, "internal error")));
      return true;
    } catch (...) {
      return false;
    }
  }
}

}  // namespace btd::rpc
