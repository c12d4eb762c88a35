/* train_api.c: proves openrs_train.h is valid C (built with -std=c99 -Wall -Werror -pedantic); given a model dir it
 * trains a few AdamW steps on one sequence from C (the loss must fall), reads a tensor by name, checks that the
 * trainer's live model generates and that a step is refused while it has a running sequence, and saves a checkpoint. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "openrs_train.h"

int main(int argc, char ** argv) {
    char err[256] = {0};
    openrs_trainer_params tp = openrs_trainer_default_params();
    openrs_adamw_params ap = openrs_adamw_default_params();
    openrs_trainer_info info;
    openrs_trainer * tr;
    int32_t toks[8] = {256, 1, 2, 3, 4, 5, 6, 7}, lens[1] = {8}, prompts[1] = {2};
    float w[6], lp[6], first = 0.f, last = 0.f;
    double norm = 0;
    int k, i;
    tp.n_threads = 1;
    tr = openrs_trainer_new(argc > 1 ? argv[1] : "/nonexistent", tp, err, (int32_t)sizeof err);
    if (!tr) {
        printf("load failed: %s\n", err);
        return strlen(err) > 0 ? 0 : 1;
    }
    openrs_trainer_get_info(tr, &info);
    for (i = 0; i < 6; i++) w[i] = -1.f / 6;
    ap.lr = 1e-2;
    for (k = 0; k < 5; k++) {
        float loss = 0.f;
        if (openrs_trainer_backward(tr, toks, lens, prompts, 1, 1.f, w, lp, NULL) != 0 || openrs_trainer_step(tr, &ap, &norm) != k + 1) {
            printf("train failed: %s\n", openrs_trainer_error(tr));
            return 1;
        }
        for (i = 0; i < 6; i++) loss -= lp[i] / 6;
        if (k == 0) first = loss;
        last = loss;
    }
    printf("params=%ld tensors=%d loss %.4f -> %.4f grad_norm=%.4f act_bytes/token=%ld (recompute %ld)\n", (long)info.n_params, info.n_tensors, first,
           last, norm, (long)info.act_bytes_per_token, (long)info.act_bytes_per_token_recompute);
    if (!(last < first) || !isfinite(norm)) return 1;
    {
        const char * name = openrs_trainer_tensor_name(tr, 0);
        float buf[4];
        const int64_t n = name ? openrs_trainer_tensor(tr, name, 0, NULL, NULL, 0) : -1;
        if (n <= 0 || openrs_trainer_tensor(tr, name, 0, buf, NULL, 4) != -1) return 1;
        printf("tensor 0: %s (%ld values); short buffer: %s\n", name, (long)n, openrs_trainer_error(tr));
    }
    {
        openrs_session * s = openrs_session_new(openrs_trainer_model(tr));
        openrs_sampling_params sp = openrs_sampling_default_params();
        int32_t id, tok, fin;
        float l;
        sp.temperature = 0.f;
        sp.max_new_tokens = 8;
        if (openrs_seq_start(s, toks, 2, 1, &sp, &id, &tok, &l, &fin) != 0) return 1;
        if (openrs_trainer_step(tr, &ap, &norm) >= 0) return 1;
        printf("while generating: %s\n", openrs_trainer_error(tr));
        openrs_seq_stop(s, id);
        if (openrs_trainer_step(tr, &ap, &norm) != 6) return 1;
        openrs_session_free(s);
    }
    if (argc > 2 && openrs_trainer_save(tr, argv[2], 0) != 0) {
        printf("save failed: %s\n", openrs_trainer_error(tr));
        return 1;
    }
    openrs_trainer_free(tr);
    printf("ok\n");
    return 0;
}
