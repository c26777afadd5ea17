/* repconv upscale: pictures in (PNG, JPEG), upscaled PNG out, one picture
 * or a folder of them, with one model load for all (tools/cli/img/). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/cli/cli.h"

#ifndef REPCONV_IMAGES
static int cmd_upscale(const cli_args* a) {
  (void)a;
  return fail(EXIT_ERROR,
              "upscale: this repconv was built without libpng and libjpeg (install libpng-dev and "
              "libjpeg62-turbo-dev, then configure and build again)");
}
#else
#include "tools/cli/img/enhance.h"
#include "tools/cli/img/folder.h"
#include "tools/cli/img/image.h"
#include "tools/cli/img/metrics.h"
#include "tools/cli/img/upscale.h"
#include "tools/cli/img/ycbcr.h"

typedef struct progress_ctx {
  int on;
  size_t picture, pictures; /* folder mode: this picture's number, of how many (0: one picture) */
  const char* name;
} progress_ctx;

static void on_progress(void* ctx, int done, int total) {
  const progress_ctx* p = ctx;
  if (p->pictures) {
    cli_progress(p->on, "upscale: picture %zu/%zu %.40s: tile %d/%d", p->picture, p->pictures, p->name, done, total);
  } else {
    cli_progress(p->on, "upscale: %.50s: tile %d/%d", p->name, done, total);
  }
}

static const char* kind_of(const cli_image* img) {
  static const char* const k[5] = {"", "gray", "gray+alpha", "RGB", "RGBA"};
  return k[img->channels];
}

static int same_file(const char* a, const char* b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The luma of what --bicubic writes for `in`: written to a temporary file
 * and read back, so that the baseline is exactly that picture. */
static int bicubic_baseline(cli_enhancer* e, const cli_image* in, float** y, char* err, size_t err_size) {
  const char* dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/repconv-bicubic-XXXXXX", dir && dir[0] ? dir : "/tmp");
  const int fd = mkstemp(path);
  if (fd < 0) {
    snprintf(err, err_size, "cannot create a temporary file in %s (%s)", dir && dir[0] ? dir : "/tmp", strerror(errno));
    return -1;
  }
  close(fd);
  cli_upscale_opts o = {0, -1, 0, 1, NULL, NULL};
  cli_upscale_stats st;
  cli_image out;
  int rc = cli_upscale(e, in, path, &o, &st, err, err_size);
  if (rc == 0) rc = cli_image_read(path, &out, err, err_size);
  remove(path);
  if (rc != 0) return -1;
  rc = cli_image_luma(&out, y, err, err_size);
  cli_image_free(&out);
  return rc;
}

/* --reference: PSNR and SSIM on Y of the output and of bicubic upscaling,
 * a border of `scale` pixels cropped (the SR convention: the border is
 * where the model sees padding). */
static int report_reference(const cli_args* a, cli_enhancer* e, const cli_image* in, const char* out_path) {
  char err[1024];
  cli_image hr, out;
  float *y_hr = NULL, *y_out = NULL, *y_bic = NULL;
  int rc = EXIT_ERROR;
  memset(&out, 0, sizeof out);
  if (cli_image_read(a->reference, &hr, err, sizeof err) != 0)
    return fail(EXIT_ERROR, "upscale: %s: %s", a->reference, err);
  if (cli_image_read(out_path, &out, err, sizeof err) != 0) {
    fail(EXIT_ERROR, "upscale: %s: %s", out_path, err);
    goto done;
  }
  if (hr.width != out.width || hr.height != out.height) {
    fail(EXIT_ERROR, "upscale: %s: %dx%d, the output is %dx%d", a->reference, hr.width, hr.height, out.width,
         out.height);
    goto done;
  }
  const int w = out.width, h = out.height, b = e->scale;
  if (w - 2 * b < 7 || h - 2 * b < 7) {
    fail(EXIT_ERROR, "upscale: %s: %dx%d is too small for SSIM once a %d-pixel border is cropped", a->reference, w, h,
         b);
    goto done;
  }
  if (cli_image_luma(&hr, &y_hr, err, sizeof err) != 0 || cli_image_luma(&out, &y_out, err, sizeof err) != 0) {
    fail(EXIT_ERROR, "upscale: %s", err);
    goto done;
  }
  if (bicubic_baseline(e, in, &y_bic, err, sizeof err) != 0) {
    fail(EXIT_ERROR, "upscale: the bicubic baseline: %s", err);
    goto done;
  }
  const size_t off = (size_t)b * w + (size_t)b;
  double ssim_m = 0, ssim_b = 0;
  const double psnr_m = cli_psnr(y_out + off, y_hr + off, w - 2 * b, h - 2 * b, w, 255.0);
  const double psnr_b = cli_psnr(y_bic + off, y_hr + off, w - 2 * b, h - 2 * b, w, 255.0);
  if (cli_ssim(y_out + off, y_hr + off, w - 2 * b, h - 2 * b, w, 255.0, &ssim_m) != 0 ||
      cli_ssim(y_bic + off, y_hr + off, w - 2 * b, h - 2 * b, w, 255.0, &ssim_b) != 0) {
    fail(EXIT_ERROR, "upscale: out of memory computing SSIM");
    goto done;
  }
  printf("quality on Y (BT.601 full range, 0..255) against %s, %d-pixel border cropped:\n", a->reference, b);
  printf("  %-24s PSNR %7.3f dB   SSIM %.4f\n", a->bicubic ? "output (bicubic)" : a->model, psnr_m, ssim_m);
  printf("  %-24s PSNR %7.3f dB   SSIM %.4f\n", "bicubic", psnr_b, ssim_b);
  printf("  %-24s PSNR %+7.3f dB   SSIM %+.4f\n", "difference", psnr_m - psnr_b, ssim_m - ssim_b);
  rc = EXIT_OK;
done:
  free(y_hr);
  free(y_out);
  free(y_bic);
  cli_image_free(&hr);
  cli_image_free(&out);
  return rc;
}

/* One picture: read, upscale, one line on stdout. EXIT_OK, or the error
 * printed ("repconv: upscale: IN: what") and EXIT_ERROR. */
static int one_picture(const cli_args* a, cli_enhancer* e, const char* in_path, const char* out_path, progress_ctx* pc,
                       cli_image* keep) {
  char err[1024];
  cli_image img;
  if (same_file(in_path, out_path))
    return fail(EXIT_ERROR, "upscale: %s: the output would overwrite the input", in_path);
  if (cli_image_read(in_path, &img, err, sizeof err) != 0) return fail(EXIT_ERROR, "upscale: %s: %s", in_path, err);
  cli_upscale_opts o = {
      a->tile,    a->halo,     (a->max_memory_mb ? a->max_memory_mb : CLI_UPSCALE_MEMORY_MB) * 1048576.0,
      a->bicubic, on_progress, pc};
  cli_upscale_stats st;
  const double t0 = now_ms();
  pc->name = in_path;
  const int rc = cli_upscale(e, &img, out_path, &o, &st, err, sizeof err);
  cli_progress_clear(pc->on);
  if (rc != 0) {
    cli_image_free(&img);
    return fail(EXIT_ERROR, "upscale: %s: %s", in_path, err);
  }
  const double ms = now_ms() - t0;
  printf("%s: %dx%d %s %d-bit " ARROW " %s: %dx%d (x%d", in_path, img.width, img.height, kind_of(&img), img.depth,
         out_path, st.out_w, st.out_h, e->scale);
  if (a->bicubic) {
    printf(", bicubic)");
  } else {
    printf(", %d tile%s of %dx%d, halo %d, arena %.1f MB)", st.tiles_x * st.tiles_y,
           st.tiles_x * st.tiles_y == 1 ? "" : "s", st.window_w, st.window_h, st.halo, st.arena_bytes / 1e6);
  }
  printf(", %.1f ms", ms);
  if (!a->bicubic) printf(" (model %.1f ms)", st.model_ms);
  printf("\n");
  if (keep) {
    *keep = img;
  } else {
    cli_image_free(&img);
  }
  return EXIT_OK;
}

static int png_name(const char* path) {
  const size_t n = strlen(path);
  return n > 4 && strcasecmp(path + n - 4, ".png") == 0;
}

static int is_dir(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int folder_mode(const cli_args* a, cli_enhancer* e, progress_ctx* pc) {
  const char* in_dir = a->inputs[0];
  const char* out_dir = a->outputs[0];
  char err[1024];
  if (!is_dir(out_dir) && mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
    return fail(EXIT_ERROR, "upscale: cannot create the folder '%s' (%s)", out_dir, strerror(errno));
  }
  if (!is_dir(out_dir)) return fail(EXIT_ERROR, "upscale: '%s' is not a folder (the input is one)", out_dir);
  if (same_file(in_dir, out_dir)) {
    return fail(EXIT_ERROR, "upscale: '%s': the output folder is the input folder (outputs would overwrite inputs)",
                out_dir);
  }
  cli_folder_entry* list = NULL;
  size_t n = 0, pictures = 0, failed = 0;
  if (cli_folder_list(in_dir, &list, &n, err, sizeof err) != 0) return fail(EXIT_ERROR, "upscale: %s: %s", in_dir, err);
  for (size_t i = 0; i < n; i++) pictures += (size_t)list[i].picture;
  pc->pictures = pictures;
  for (size_t i = 0; i < n; i++) {
    if (!list[i].picture) {
      printf("skipped %s (not a .png, .jpg or .jpeg file)\n", list[i].name);
      continue;
    }
    char* in_path = cli_path_join(in_dir, list[i].name);
    char* out_path = cli_path_join(out_dir, list[i].output);
    pc->picture++;
    if (!in_path || !out_path) {
      fail(EXIT_ERROR, "upscale: out of memory");
      failed++;
    } else if (one_picture(a, e, in_path, out_path, pc, NULL) != EXIT_OK) {
      failed++;
    }
    free(in_path);
    free(out_path);
    fflush(stdout);
  }
  cli_folder_free(list, n);
  printf("%zu picture%s upscaled, %zu failed\n", pictures - failed, pictures - failed == 1 ? "" : "s", failed);
  return failed ? EXIT_ERROR : EXIT_OK;
}

static int cmd_upscale(const cli_args* a) {
  if (a->num_inputs != 1) return usage_error("upscale", "give one -i (a picture or a folder)");
  if (a->num_outputs != 1) return usage_error("upscale", "give one -o (a .png file, or a folder)");
  const int folder = is_dir(a->inputs[0]);
  if (folder && a->reference) return usage_error("upscale", "--reference takes one picture, not a folder");
  if (!folder && is_dir(a->outputs[0])) {
    return fail(EXIT_ERROR, "upscale: '%s' is a folder (give a .png name, or a folder as -i)", a->outputs[0]);
  }
  if (!folder && !png_name(a->outputs[0])) {
    return usage_error("upscale", "-o '%s' does not end in .png (upscale writes PNG)", a->outputs[0]);
  }
  cli_enhancer e;
  int rc = cli_enhancer_open(&e, a);
  if (rc != EXIT_OK) return rc;
  progress_ctx pc = {a->progress || isatty(STDERR_FILENO), 0, 0, NULL};
  if (folder) {
    rc = folder_mode(a, &e, &pc);
  } else {
    cli_image in;
    memset(&in, 0, sizeof in);
    rc = one_picture(a, &e, a->inputs[0], a->outputs[0], &pc, a->reference ? &in : NULL);
    if (rc == EXIT_OK && a->reference) rc = report_reference(a, &e, &in, a->outputs[0]);
    cli_image_free(&in);
  }
  cli_enhancer_close(&e);
  return rc;
}
#endif

const cli_command cli_upscale_command = {
    .name = "upscale",
    .usage =
        "  upscale MODEL -i IN -o OUT [-t TILE] [--max-memory MB] [--halo N] [--threads N]\n"
        "          [--reference HR.png] [--bicubic] [--progress] [--backend B]\n"
        "      upscales a picture (PNG: 8/16-bit gray, gray+alpha, RGB, RGBA, palette;\n"
        "      JPEG: gray, color) to a PNG of its kind, or every .png/.jpg/.jpeg of folder\n"
        "      IN to folder OUT as NAME.png; the model (1 channel: on Y, Cb/Cr and alpha\n"
        "      resized bicubic; 3 channels: on RGB) runs in tiles with the halo it needs,\n"
        "      stitched to the untiled result; --reference prints PSNR/SSIM on Y\n",
    .options = OPT_INPUT | OPT_OUTPUT | OPT_THREADS | OPT_NO_FOLD | OPT_MAX_KERNEL | OPT_BACKEND | OPT_LIMIT |
               OPT_TILE | OPT_MAX_MEMORY | OPT_HALO | OPT_PROGRESS | OPT_REFERENCE | OPT_BICUBIC,
    .takes_model = 1,
    .default_fold = 1,
    .require = OPT_INPUT,
    .missing = "missing -i IN (a picture or a folder)",
    .single_output = 1,
    .run = cmd_upscale,
};
