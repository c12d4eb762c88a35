/* engine_smoke.c: drives every entry point (multi-prompt sampled generation, cancel, score, logits, continuous batching with
 * cache growth and early stops, KV usage, bad input) for sanitizer runs. */
#include <stdio.h>
#include <stdlib.h>

#include "openrs.h"

static int32_t cancel_after_7(void * user, int32_t seq, int32_t token) {
    int * n = (int *)user;
    (void)seq;
    (void)token;
    return ++*n >= 7;
}

int main(int argc, char ** argv) {
    char err[256];
    openrs_model_params mp = openrs_model_default_params();
    openrs_model * m;
    openrs_session * s;
    openrs_model_info info;
    int32_t prompts[700], lens[3] = {5, 1, 600}, out_n[6], fin[6], *toks;
    float * lps, *logits;
    openrs_sampling_params sp[6];
    int i, q, rc, calls = 0;
    if (argc < 2) { fprintf(stderr, "usage: engine_smoke MODEL_DIR [bf16]\n"); return 2; }
    mp.n_threads = 2;
    mp.kv_bf16 = argc > 2 && argv[2][0] == 'b'; /* the bf16 KV cache path */
    m = openrs_model_load(argv[1], mp, err, (int32_t)sizeof err);
    if (!m) { fprintf(stderr, "load: %s\n", err); return 1; }
    openrs_model_get_info(m, &info);
    s = openrs_session_new(m);
    for (i = 0; i < 700; i++) prompts[i] = (i * 31) % info.n_vocab;
    for (q = 0; q < 6; q++) {
        sp[q] = openrs_sampling_default_params();
        sp[q].temperature = q == 0 ? 0.f : 0.8f;
        sp[q].top_p = q % 2 ? 0.9f : 1.f;
        sp[q].top_k = q == 3 ? 5 : 0;
        sp[q].min_p = q == 4 ? 0.05f : 0.f;
        sp[q].seed = (uint64_t)q;
        sp[q].max_new_tokens = 3 + q;
        sp[q].n_stop = 1;
        sp[q].stop[0] = 258;
    }
    toks = (int32_t *)malloc(sizeof(int32_t) * 6 * 8);
    lps = (float *)malloc(sizeof(float) * 6 * 8);
    rc = openrs_generate(s, prompts, lens, 3, 2, sp, 8, toks, lps, out_n, fin, NULL, NULL);
    if (rc != 0) { fprintf(stderr, "generate: %s\n", openrs_session_error(s)); return 1; }
    for (q = 0; q < 6; q++) {
        int32_t seq[700];
        float sc[8];
        int p = q / 2, off = p == 0 ? 0 : p == 1 ? 5 : 6, j;
        for (j = 0; j < lens[p]; j++) seq[j] = prompts[off + j];
        for (j = 0; j < out_n[q]; j++) seq[lens[p] + j] = toks[q * 8 + j];
        if (out_n[q] > 0 && openrs_score(s, seq, lens[p] + out_n[q], lens[p], sc) != 0) { fprintf(stderr, "score: %s\n", openrs_session_error(s)); return 1; }
        for (j = 0; j < out_n[q]; j++)
            if (sc[j] != lps[q * 8 + j]) { fprintf(stderr, "seq %d token %d: score %g != logprob %g\n", q, j, sc[j], lps[q * 8 + j]); return 1; }
    }
    rc = openrs_generate(s, prompts, lens, 3, 2, sp, 8, toks, lps, out_n, fin, cancel_after_7, &calls);
    if (rc != 1 || calls != 7) { fprintf(stderr, "cancel: rc %d after %d calls\n", rc, calls); return 1; }
    logits = (float *)malloc(sizeof(float) * 3 * info.n_vocab);
    if (openrs_logits(s, prompts, 600, 3, logits) != 0) return 1;
    {
        /* Continuous batching: 3 samples of a short prompt, then a 600-token prompt whose sequence outgrows its
         * first cache (600 + 256) while others stop early; one is left running when the session is freed. */
        int32_t ids[3], tk[3], fn[3], eid[8], etk[8], efn[8], steps = 0, events = 0, n;
        float lp[3], elp[8];
        openrs_sampling_params bp[3];
        for (q = 0; q < 3; q++) {
            bp[q] = sp[q + 1];
            bp[q].n_stop = 0;
            bp[q].max_new_tokens = q == 0 ? 400 : 20;
        }
        if (openrs_seq_start(s, prompts, 5, 3, bp, ids, tk, lp, fn) != 0) { fprintf(stderr, "seq_start: %s\n", openrs_session_error(s)); return 1; }
        for (i = 0; i < 5; i++) events += openrs_step(s, 8, eid, etk, elp, efn);
        if (openrs_seq_start(s, prompts + 6, 600, 1, bp, ids, tk, lp, fn) != 0) return 1;
        if (openrs_step(s, 1, eid, etk, elp, efn) != -1) { fprintf(stderr, "step: capacity 1 < 4 running accepted\n"); return 1; }
        if (openrs_step(s, -1, eid, etk, elp, efn) != -1) { fprintf(stderr, "step: capacity -1 accepted\n"); return 1; }
        if (openrs_seq_stop(s, 1) != 1 || openrs_seq_stop(s, 1) != 0) return 1;
        while ((n = openrs_step(s, 8, eid, etk, elp, efn)) > 0 && openrs_seq_running(s) > 1) { events += n; steps++; }
        if (n < 0 || openrs_seq_running(s) != 1) { fprintf(stderr, "batch: %d running after %d steps\n", openrs_seq_running(s), steps); return 1; }
        if (steps < 300) { fprintf(stderr, "batch: only %d steps\n", steps); return 1; }
        {
            /* The survivor (the 400-token sample of the short prompt) has outgrown its first 5 + 256 positions. */
            openrs_kv_usage u, one;
            if (openrs_get_kv_usage(s, -1, &u) != 1 || u.allocated < 2 * 261 * info.kv_bytes_per_pos || u.after_step < u.allocated ||
                openrs_get_kv_usage(s, 1, &one) != 0 || one.allocated != 0 || openrs_get_kv_usage(s, -1, NULL) != -1) {
                fprintf(stderr, "kv usage: %d sequences, %ld bytes\n", u.n_seq, (long)u.allocated);
                return 1;
            }
        }
        printf("continuous batching: %d events over %d steps\n", events, steps);
    }
    prompts[3] = info.n_vocab + 5;
    if (openrs_logits(s, prompts, 10, 1, logits) != -1) return 1;
    printf("engine smoke ok (%s, %s KV): error path said: %s\n", info.arch, info.kv_bf16 ? "bf16" : "f32", openrs_session_error(s));
    free(toks);
    free(lps);
    free(logits);
    openrs_session_free(s);
    openrs_model_free(m);
    return 0;
}
