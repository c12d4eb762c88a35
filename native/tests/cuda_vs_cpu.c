/* cuda_vs_cpu.c: loads one checkpoint on the CPU and CUDA engines, compares logits and greedy tokens, prints CUDA prefill/decode tokens/s. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "openrs.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Greedy generation of n_samples x max_new tokens from one prompt; returns seconds. */
static double greedy(openrs_session * s, const int32_t * prompt, int32_t len, int32_t n_samples, int32_t max_new, int32_t * toks) {
    openrs_sampling_params * sp = (openrs_sampling_params *)calloc(n_samples, sizeof *sp);
    float * lps = (float *)malloc(sizeof(float) * n_samples * max_new);
    int32_t * n = (int32_t *)malloc(sizeof(int32_t) * n_samples), *fin = (int32_t *)malloc(sizeof(int32_t) * n_samples);
    double t0;
    int i;
    for (i = 0; i < n_samples; i++) {
        sp[i] = openrs_sampling_default_params();
        sp[i].temperature = 0.f;
        sp[i].max_new_tokens = max_new;
    }
    t0 = now();
    if (openrs_generate(s, prompt, &len, 1, n_samples, sp, max_new, toks, lps, n, fin, NULL, NULL) != 0) {
        fprintf(stderr, "generate: %s\n", openrs_session_error(s));
        exit(1);
    }
    t0 = now() - t0;
    free(sp); free(lps); free(n); free(fin);
    return t0;
}

int main(int argc, char ** argv) {
    char err[512];
    openrs_model_params cpu_p = openrs_model_default_params(), gpu_p = openrs_model_default_params();
    openrs_model *cpu, *gpu;
    openrs_session *sc, *sg;
    openrs_model_info info;
    int32_t prompt[512], T, i, j, V, first_diff = -1, bs[4] = {1, 8, 32, 64}, steps = 32;
    float *lc, *lg;
    double maxdiff = 0, maxmag = 0, tol;
    int32_t tc[64], tg[64], *big;
    if (argc < 2) { fprintf(stderr, "usage: openrs_cuda_vs_cpu MODEL_DIR [prompt_len]\n"); return 2; }
    T = argc > 2 ? atoi(argv[2]) : 64;
    if (T < 2 || T > 512) T = 64;
    gpu_p.use_cuda = 1;
    cpu = openrs_model_load(argv[1], cpu_p, err, sizeof err);
    if (!cpu) { fprintf(stderr, "cpu load: %s\n", err); return 1; }
    gpu = openrs_model_load(argv[1], gpu_p, err, sizeof err);
    if (!gpu) { fprintf(stderr, "cuda load: %s\n", err); return 1; }
    openrs_model_get_info(gpu, &info);
    if (!info.on_cuda) { fprintf(stderr, "the CUDA engine is not active (see the notice above)\n"); return 1; }
    V = info.n_vocab;
    for (i = 0; i < T; i++) prompt[i] = (i * 7919 + 13) % (V < 256 ? V : 256);
    sc = openrs_session_new(cpu);
    sg = openrs_session_new(gpu);
    lc = (float *)malloc(sizeof(float) * (size_t)T * V);
    lg = (float *)malloc(sizeof(float) * (size_t)T * V);
    if (openrs_logits(sc, prompt, T, T, lc) || openrs_logits(sg, prompt, T, T, lg)) { fprintf(stderr, "logits failed\n"); return 1; }
    for (i = 0; i < T * V; i++) {
        double d = fabs((double)lc[i] - lg[i]);
        if (d > maxdiff) maxdiff = d;
        if (fabs(lc[i]) > maxmag) maxmag = fabs(lc[i]);
    }
    /* bf16 activations into the tensor-core GEMM: allow 2 % of the logit range. */
    tol = 0.02 * maxmag + 1e-3;
    printf("%s (%s weights), %d positions: max |logit cuda - cpu| = %.4g (max |logit| %.3g, tol %.3g) %s\n", info.arch,
           info.dtype == 2 ? "bf16" : info.dtype == 1 ? "f16" : "f32", T, maxdiff, maxmag, tol, maxdiff <= tol ? "ok" : "FAIL");
    greedy(sc, prompt, 8, 1, 32, tc);
    greedy(sg, prompt, 8, 1, 32, tg);
    for (j = 0; j < 32; j++) if (tc[j] != tg[j]) { first_diff = j; break; }
    if (first_diff < 0) printf("greedy 32 tokens: identical\n");
    else printf("greedy 32 tokens: first difference at token %d (bf16 activations can flip near-ties)\n", first_diff);
    /* throughput */
    {
        double t0 = now();
        float * one = (float *)malloc(sizeof(float) * V);
        int32_t n512 = 512 < info.n_ctx_max ? 512 : info.n_ctx_max - 1;
        int32_t p512[512];
        for (i = 0; i < n512; i++) p512[i] = (i * 31) % (V < 256 ? V : 256);
        openrs_logits(sg, p512, n512, 1, one);
        t0 = now() - t0;
        printf("cuda prefill %d tokens: %.0f tokens/s\n", n512, n512 / t0);
        free(one);
    }
    big = (int32_t *)malloc(sizeof(int32_t) * 64 * (steps + 1));
    for (i = 0; i < 4; i++) {
        double t1 = greedy(sg, prompt, 16, bs[i], 1, big);
        double t2 = greedy(sg, prompt, 16, bs[i], steps + 1, big);
        printf("cuda decode batch %2d: %.0f tokens/s\n", bs[i], bs[i] * steps / (t2 - t1));
    }
    openrs_session_free(sc); openrs_session_free(sg);
    openrs_model_free(cpu); openrs_model_free(gpu);
    free(lc); free(lg); free(big);
    return maxdiff <= tol ? 0 : 1;
}
