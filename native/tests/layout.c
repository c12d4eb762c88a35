/* layout.c: prints sizeof and every field's offsetof/sizeof of the structs in openrs.h and openrs_train.h as JSON, as this C compiler
 * lays them out; test/native/struct-layout.test.ts compares them with the koffi declarations in native/ts/native.ts
 * and with the fields the header declares. */
#include <stddef.h>
#include <stdio.h>

#include "openrs.h"
#include "openrs_train.h"

static int first_field;

static void begin(const char * name, size_t size, int first) {
    printf("%s\n  \"%s\": {\"size\": %u, \"fields\": {", first ? "" : ",", name, (unsigned)size);
    first_field = 1;
}

static void field(const char * name, size_t offset, size_t size) {
    printf("%s\"%s\": {\"offset\": %u, \"size\": %u}", first_field ? "" : ", ", name, (unsigned)offset, (unsigned)size);
    first_field = 0;
}

#define BEGIN(S, first) begin(#S, sizeof(S), first)
#define FIELD(S, F) field(#F, offsetof(S, F), sizeof(((S *)0)->F))
#define END() printf("}}")

int main(void) {
    printf("{");
    BEGIN(openrs_model_params, 1);
    FIELD(openrs_model_params, n_threads);
    FIELD(openrs_model_params, use_cuda);
    FIELD(openrs_model_params, kv_bf16);
    FIELD(openrs_model_params, act_bf16);
    END();

    BEGIN(openrs_model_info, 0);
    FIELD(openrs_model_info, n_vocab);
    FIELD(openrs_model_info, n_embd);
    FIELD(openrs_model_info, n_layer);
    FIELD(openrs_model_info, n_head);
    FIELD(openrs_model_info, n_head_kv);
    FIELD(openrs_model_info, head_dim);
    FIELD(openrs_model_info, n_ctx_max);
    FIELD(openrs_model_info, dtype);
    FIELD(openrs_model_info, on_cuda);
    FIELD(openrs_model_info, kv_bf16);
    FIELD(openrs_model_info, act_bf16);
    FIELD(openrs_model_info, arch);
    FIELD(openrs_model_info, kv_bytes_per_pos);
    END();

    BEGIN(openrs_sampling_params, 0);
    FIELD(openrs_sampling_params, temperature);
    FIELD(openrs_sampling_params, top_p);
    FIELD(openrs_sampling_params, min_p);
    FIELD(openrs_sampling_params, top_k);
    FIELD(openrs_sampling_params, seed);
    FIELD(openrs_sampling_params, max_new_tokens);
    FIELD(openrs_sampling_params, n_stop);
    FIELD(openrs_sampling_params, stop);
    END();

    BEGIN(openrs_kv_usage, 0);
    FIELD(openrs_kv_usage, allocated);
    FIELD(openrs_kv_usage, after_step);
    FIELD(openrs_kv_usage, n_seq);
    END();

    BEGIN(openrs_trainer_params, 0);
    FIELD(openrs_trainer_params, n_threads);
    FIELD(openrs_trainer_params, recompute);
    END();

    BEGIN(openrs_adamw_params, 0);
    FIELD(openrs_adamw_params, lr);
    FIELD(openrs_adamw_params, beta1);
    FIELD(openrs_adamw_params, beta2);
    FIELD(openrs_adamw_params, eps);
    FIELD(openrs_adamw_params, weight_decay);
    FIELD(openrs_adamw_params, max_grad_norm);
    FIELD(openrs_adamw_params, hf_no_decay);
    END();

    BEGIN(openrs_trainer_info, 0);
    FIELD(openrs_trainer_info, n_params);
    FIELD(openrs_trainer_info, step);
    FIELD(openrs_trainer_info, act_bytes_per_token);
    FIELD(openrs_trainer_info, act_bytes_per_token_recompute);
    FIELD(openrs_trainer_info, n_tensors);
    END();
    printf("\n}\n");
    return 0;
}
