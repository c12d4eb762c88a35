/* c_api.c: proves openrs.h is valid C (built with -std=c99 -Wall -Werror -pedantic); given a model dir it loads it, generates 4 greedy tokens, and repeats them through seq_start + step (checking the KV bytes the engine reports). */
#include <stdio.h>
#include <string.h>

#include "openrs.h"
#include "openrs_probe.h"

int main(int argc, char ** argv) {
    char err[256] = {0};
    openrs_model_params mp = openrs_model_default_params();
    openrs_sampling_params sp = openrs_sampling_default_params();
    openrs_model * m;
    openrs_token_cb cb = NULL;
    (void)cb;
    mp.n_threads = 1;
    m = openrs_model_load(argc > 1 ? argv[1] : "/nonexistent", mp, err, (int32_t)sizeof err);
    if (!m) {
        printf("load failed: %s\n", err);
        return strlen(err) > 0 ? 0 : 1;
    }
    {
        openrs_model_info info;
        openrs_session * s = openrs_session_new(m);
        int32_t prompt[2] = {1, 2}, lens[1] = {2}, toks[4], n[1], fin[1];
        float lps[4];
        openrs_model_get_info(m, &info);
        sp.temperature = 0.f;
        sp.max_new_tokens = 4;
        if (openrs_generate(s, prompt, lens, 1, 1, &sp, 4, toks, lps, n, fin, NULL, NULL) != 0) {
            printf("generate failed: %s\n", openrs_session_error(s));
            return 1;
        }
        printf("arch=%s vocab=%d generated=%d finish=%d simd=%s\n", info.arch, info.n_vocab, n[0], fin[0], openrs_simd_name());
        {
            /* The same sequence through continuous batching: one token from seq_start, three from steps. */
            int32_t id, tok, f, k = 1, same;
            float lp;
            if (openrs_seq_start(s, prompt, 2, 1, &sp, &id, &tok, &lp, &f) != 0) {
                printf("seq_start failed: %s\n", openrs_session_error(s));
                return 1;
            }
            same = tok == toks[0];
            {
                /* What the engine reports it allocated: prompt 2 + max_new_tokens 4 positions. */
                openrs_kv_usage u;
                const int64_t want = 6 * info.kv_bytes_per_pos;
                if (openrs_get_kv_usage(s, -1, &u) != 1 || u.allocated != want || openrs_kv_start_bytes(m, 2, 1, &sp) != want) {
                    printf("kv usage: %ld bytes allocated, %ld predicted, want %ld\n", (long)u.allocated, (long)openrs_kv_start_bytes(m, 2, 1, &sp), (long)want);
                    return 1;
                }
            }
            while (openrs_seq_running(s) > 0 && openrs_step(s, 1, &id, &tok, &lp, &f) == 1) same &= tok == toks[k++];
            printf("continuous batching: %d tokens, %s\n", k, same && k == 4 ? "same as generate" : "DIFFERENT");
            if (!same || k != 4) return 1;
        }
        openrs_session_free(s);
    }
    openrs_model_free(m);
    return 0;
}
