#include "core/mse/mse_initiator.hpp"

#include <array>
#include <stdexcept>

#include "core/wire/big_endian.hpp"

namespace btd::mse {

MseInitiator::MseInitiator(const InfoHash& skey, std::uint32_t provide, std::string initial_payload,
                           RandomSource random)
    : skey_(skey), provide_(provide), ia_(std::move(initial_payload)), random_(std::move(random)) {
  if (ia_.size() > 0xffff) throw std::invalid_argument("MSE initial payload longer than 65535 bytes");
}

MseStep MseInitiator::fail(MseStep& step, std::string reason) {
  state_ = State::failed;
  step.failure = "encrypted handshake: " + std::move(reason);
  return step;
}

Result<std::string> MseInitiator::start() {
  if (key_) return std::string();
  std::array<std::uint8_t, kPrivateKeySize> secret{};
  std::optional<std::string> pad;
  if (!random_(secret.data(), secret.size()) || !(pad = random_pad(random_))) {
    state_ = State::failed;
    return Error(Errc::io_error, "encrypted handshake: the system gave no random bytes");
  }
  key_.emplace(secret);
  std::string out(as_view(key_->public_key()));
  out += *pad;
  return out;
}

MseStep MseInitiator::feed(std::string_view bytes) {
  MseStep step;
  if (state_ == State::done || state_ == State::failed || !key_) return fail(step, "fed after it ended");
  received_.append(bytes);

  if (state_ == State::read_yb) {
    if (received_.size() < kDhKeySize) return step;
    auto secret = key_->shared_secret(std::string_view(received_).substr(0, kDhKeySize));
    if (!secret) return fail(step, secret.error().message);
    auto a = Rc4::create(key_a(*secret, skey_).view());
    auto b = Rc4::create(key_b(*secret, skey_).view());
    if (!a) return fail(step, a.error().message);
    if (!b) return fail(step, b.error().message);
    out_.emplace(std::move(*a));
    in_.emplace(std::move(*b));
    vc_pattern_.assign(kVcSize, '\0');
    in_->apply(vc_pattern_);  // what VC looks like in B's stream; `in_` is now past it

    const Sha1Digest req1 = req1_hash(*secret);
    const Sha1Digest req2 = req2_hash(skey_);
    const Sha1Digest req3 = req3_hash(*secret);
    step.send.append(req1.view());
    for (std::size_t i = 0; i < Sha1Digest::kSize; ++i) step.send.push_back(static_cast<char>(req2.bytes[i] ^ req3.bytes[i]));
    std::string plain(kVcSize, '\0');
    wire::append_u32(plain, provide_);
    wire::append_u16(plain, 0);  // PadC: the encryption hides lengths already, padding would only cost
    wire::append_u16(plain, static_cast<std::uint16_t>(ia_.size()));
    plain += ia_;
    out_->apply(plain);
    step.send += plain;
    received_.erase(0, kDhKeySize);
    state_ = State::sync_vc;
  }

  if (state_ == State::sync_vc) {
    // ENCRYPT(VC) starts after PadB, which is at most 512 bytes.
    const std::size_t last_start = kMaxPad;
    const std::size_t found = received_.find(vc_pattern_, searched_);
    if (found == std::string::npos || found > last_start) {
      if (found != std::string::npos || received_.size() >= last_start + kVcSize)
        return fail(step, "no verification constant within 512 bytes of padding");
      // A match may still start in the last 7 bytes.
      if (received_.size() >= kVcSize) searched_ = received_.size() - kVcSize + 1;
      return step;
    }
    received_.erase(0, found + kVcSize);
    state_ = State::read_select;
  }

  if (state_ == State::read_select) {
    if (received_.size() < 6) return step;
    in_->apply(received_.data(), 6);
    selected_ = wire::read_u32(received_, 0);
    pad_d_ = wire::read_u16(received_, 4);
    received_.erase(0, 6);
    if ((selected_ != kCryptoPlaintext && selected_ != kCryptoRc4) || (selected_ & provide_) == 0)
      return fail(step, "peer selected " + crypto_names(selected_) + ", we offered " + crypto_names(provide_));
    if (pad_d_ > kMaxPad) return fail(step, "peer's PadD of " + std::to_string(pad_d_) + " bytes exceeds 512");
    state_ = State::read_pad_d;
  }

  if (state_ == State::read_pad_d) {
    if (received_.size() < pad_d_) return step;
    in_->apply(received_.data(), pad_d_);
    received_.erase(0, pad_d_);
    result_.selected = selected_;
    result_.info_hash = skey_;
    if (selected_ == kCryptoRc4) {
      in_->apply(received_);
      result_.cipher = PayloadCipher::rc4(std::move(*out_), std::move(*in_));
    }
    out_.reset();
    in_.reset();
    result_.payload = std::move(received_);
    received_.clear();
    state_ = State::done;
    step.complete = true;
  }
  return step;
}

MseResult MseInitiator::take_result() { return std::move(result_); }

}  // namespace btd::mse
