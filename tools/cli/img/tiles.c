/* Tile geometry along one axis (tiles.h). */
#include "tools/cli/img/tiles.h"

#include <stddef.h>

/* The smallest length >= want with (n - length) % align == 0. */
static int congruent_up(int n, int want, int align) {
  const int w = n - ((n - want) / align) * align;
  return w > n ? n : w;
}

int cli_tile_window(int n, int want, int halo, int align) {
  if (want >= n) return n;
  const int min = 2 * halo + align;
  if (want < min) want = min;
  if (want >= n) return n;
  /* As many windows as `want` needs, but each as small as that count
   * allows: windows of one size cover the axis unevenly otherwise (1920
   * in windows of 900 takes three, the last two overlapping by 700). */
  const int count = cli_tile_spans(n, congruent_up(n, want, align), halo, align, NULL, 0);
  for (int w = congruent_up(n, min, align); w < n; w += align) {
    const int c = cli_tile_spans(n, w, halo, align, NULL, 0);
    if (c >= 1 && c <= count) return w;
  }
  return congruent_up(n, want, align);
}

int cli_tile_spans(int n, int window, int halo, int align, cli_span* spans, int max_spans) {
  if (n < 1 || window < 1 || window > n || halo < 0 || align < 1) return -1;
  if (window == n) {
    if (max_spans > 0) spans[0] = (cli_span){0, 0, n};
    return 1;
  }
  const int step = ((window - 2 * halo) / align) * align;
  if (step < align || (n - window) % align != 0) return -1;
  int count = 0;
  for (int origin = 0;; origin += step) {
    const int last = origin >= n - window;
    if (last) origin = n - window;
    if (count < max_spans) {
      spans[count].origin = origin;
      spans[count].keep0 = count == 0 ? 0 : origin + halo;
      spans[count].keep1 = n;
      if (count > 0) spans[count - 1].keep1 = spans[count].keep0;
    }
    count++;
    if (last) break;
  }
  return count;
}
