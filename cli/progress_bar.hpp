#pragma once
// A text progress bar and percentage for btctl's tables: "[#########.........]  45.2%".
#include <cstddef>
#include <string>

namespace btd::cli {

// Progress as the daemon reports it is 0.0..1.0; anything else (a daemon bug, NaN, infinity)
// is clamped so the bar never overflows its cells.
double clamp_progress(double fraction) noexcept;
// Rounds down, so "100.0%" means done and a torrent one piece short still shows "99.9%".
// Always 6 characters wide, right-aligned.
std::string format_percent(double fraction);
// `cells` characters between the brackets: '#' done, '.' to do. cells == 0 gives "[]".
std::string render_progress_bar(double fraction, std::size_t cells);
// Bar, a space, then the percentage: cells + 9 characters.
std::string render_progress(double fraction, std::size_t cells);

}  // namespace btd::cli
