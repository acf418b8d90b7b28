#include "core/mse/mse_responder.hpp"

#include <algorithm>
#include <array>

#include "core/wire/big_endian.hpp"

namespace btd::mse {

MseResponder::MseResponder(ResponderPolicy policy, SkeyLookup lookup, RandomSource random)
    : policy_(policy), lookup_(std::move(lookup)), random_(std::move(random)) {}

MseStep MseResponder::fail(MseStep& step, std::string reason) {
  state_ = State::failed;
  step.failure = "encrypted handshake: " + std::move(reason);
  return step;
}

MseStep MseResponder::feed(std::string_view bytes) {
  MseStep step;
  if (state_ == State::done || state_ == State::failed) return fail(step, "fed after it ended");
  received_.append(bytes);

  if (state_ == State::read_ya) {
    if (received_.size() < kDhKeySize) return step;
    std::array<std::uint8_t, kPrivateKeySize> secret{};
    std::optional<std::string> pad;
    if (!random_(secret.data(), secret.size()) || !(pad = random_pad(random_)))
      return fail(step, "the system gave no random bytes");
    const DhKey key(secret);
    auto shared = key.shared_secret(std::string_view(received_).substr(0, kDhKeySize));
    if (!shared) return fail(step, shared.error().message);
    secret_ = *shared;
    req1_ = req1_hash(*secret_);
    step.send.append(as_view(key.public_key()));
    step.send += *pad;
    received_.erase(0, kDhKeySize);
    state_ = State::sync_req1;
  }

  if (state_ == State::sync_req1) {
    // HASH('req1', S) starts after PadA, which is at most 512 bytes.
    const std::size_t found = received_.find(req1_.view(), searched_);
    if (found == std::string::npos || found > kMaxPad) {
      if (found != std::string::npos || received_.size() >= kMaxPad + Sha1Digest::kSize)
        return fail(step, "no req1 hash within 512 bytes of padding (not MSE, or a different secret)");
      if (received_.size() >= Sha1Digest::kSize) searched_ = received_.size() - Sha1Digest::kSize + 1;
      return step;
    }
    received_.erase(0, found + Sha1Digest::kSize);
    state_ = State::read_skey;
  }

  if (state_ == State::read_skey) {
    if (received_.size() < Sha1Digest::kSize) return step;
    const Sha1Digest req3 = req3_hash(*secret_);
    Sha1Digest req2;
    for (std::size_t i = 0; i < Sha1Digest::kSize; ++i)
      req2.bytes[i] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(received_[i]) ^ req3.bytes[i]);
    received_.erase(0, Sha1Digest::kSize);
    std::optional<InfoHash> skey = lookup_ ? lookup_(req2) : std::nullopt;
    if (!skey) return fail(step, "the peer asks for a torrent we do not serve");
    skey_ = *skey;
    auto a = Rc4::create(key_a(*secret_, skey_).view());
    auto b = Rc4::create(key_b(*secret_, skey_).view());
    if (!a) return fail(step, a.error().message);
    if (!b) return fail(step, b.error().message);
    in_.emplace(std::move(*a));
    out_.emplace(std::move(*b));
    state_ = State::read_vc;
  }

  if (state_ == State::read_vc) {
    constexpr std::size_t kSize = kVcSize + 4 + 2;
    if (received_.size() < kSize) return step;
    in_->apply(received_.data(), kSize);
    if (std::any_of(received_.begin(), received_.begin() + kVcSize, [](char c) { return c != 0; }))
      return fail(step, "wrong verification constant (the peer derived other keys)");
    provide_ = wire::read_u32(received_, kVcSize);
    pad_c_ = wire::read_u16(received_, kVcSize + 4);
    received_.erase(0, kSize);
    if (pad_c_ > kMaxPad) return fail(step, "peer's PadC of " + std::to_string(pad_c_) + " bytes exceeds 512");
    state_ = State::read_pad_c;
  }

  if (state_ == State::read_pad_c) {
    if (received_.size() < pad_c_ + 2) return step;
    in_->apply(received_.data(), pad_c_ + 2);
    const std::size_t ia = wire::read_u16(received_, pad_c_);
    received_.erase(0, pad_c_ + 2);
    return finish(step, ia);
  }
  return step;
}

MseStep MseResponder::finish(MseStep& step, std::size_t ia) {
  const std::uint32_t both = provide_ & policy_.accept;
  std::uint32_t select = 0;
  if ((both & kCryptoPlaintext) && (policy_.prefer_plaintext || !(both & kCryptoRc4))) select = kCryptoPlaintext;
  else if (both & kCryptoRc4) select = kCryptoRc4;
  if (select == 0)
    return fail(step, "the peer offers " + crypto_names(provide_) + ", we accept " + crypto_names(policy_.accept));

  std::string reply(kVcSize, '\0');
  wire::append_u32(reply, select);
  wire::append_u16(reply, 0);  // PadD: nothing to hide that the encryption does not
  out_->apply(reply);
  step.send += reply;

  // IA is encrypted whatever was selected; with plaintext the stream is clear after it.
  const std::size_t ia_here = std::min(ia, received_.size());
  in_->apply(received_.data(), ia_here);
  if (select == kCryptoRc4) {
    in_->apply(received_.data() + ia_here, received_.size() - ia_here);
    result_.cipher = PayloadCipher::rc4(std::move(*out_), std::move(*in_));
  } else {
    result_.cipher = PayloadCipher::incoming_only(std::move(*in_), ia - ia_here);
  }
  in_.reset();
  out_.reset();
  result_.selected = select;
  result_.info_hash = skey_;
  result_.payload = std::move(received_);
  received_.clear();
  state_ = State::done;
  step.complete = true;
  return step;
}

MseResult MseResponder::take_result() { return std::move(result_); }

}  // namespace btd::mse
