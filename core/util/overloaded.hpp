#pragma once
// Overloaded{lambdas...}: a visitor for std::visit built from one lambda per alternative.

namespace btd {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace btd
