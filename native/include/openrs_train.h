/* openrs_train.h: plain-C training API over a checkpoint (f32 master weights, backward of sum_t w_t log p(o_t), AdamW). */
#ifndef OPENRS_TRAIN_H
#define OPENRS_TRAIN_H
#include "openrs.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct openrs_trainer openrs_trainer; /* weights + gradients + AdamW moments; one call at a time */

typedef struct openrs_trainer_params {
    int32_t n_threads; /* 0 = all cores */
    int32_t recompute; /* 1: keep only each layer's input and recompute the rest in backward */
} openrs_trainer_params;

typedef struct openrs_adamw_params { /* torch.optim.AdamW + clip_grad_norm_ */
    double lr, beta1, beta2, eps, weight_decay;
    double max_grad_norm;  /* <= 0: no clipping */
    int32_t hf_no_decay;   /* 1: biases and norm weights get no weight decay (the HF Trainer's groups) */
} openrs_adamw_params;

typedef struct openrs_trainer_info {
    int64_t n_params, step;
    int64_t act_bytes_per_token, act_bytes_per_token_recompute; /* f32 activations the backward keeps, all layers */
    int32_t n_tensors;
} openrs_trainer_info;

openrs_trainer_params openrs_trainer_default_params(void);
openrs_adamw_params   openrs_adamw_default_params(void);
/* NULL on failure with a one-line reason in err. */
openrs_trainer * openrs_trainer_new(const char * dir, openrs_trainer_params params, char * err, int32_t err_len);
void             openrs_trainer_free(openrs_trainer * tr);
const char *     openrs_trainer_error(const openrs_trainer * tr); /* last error, "" if none */
void             openrs_trainer_get_info(const openrs_trainer * tr, openrs_trainer_info * out);
/* The live weights as a model for openrs_session_new (owned by the trainer: never openrs_model_free it). Steps are
 * refused while one of its sessions has a call in flight or running sequences. */
openrs_model * openrs_trainer_model(openrs_trainer * tr);

/* Packed sequences: tokens concatenated, lens[s] tokens each, the first prompts[s] context only. Outputs have one
 * value per scored token (sum of lens - prompts), sequence-major; out_entropy may be NULL. Logits are divided by
 * temperature. backward also adds d/dtheta sum_t weights[t] * logprob[t] into the gradients. 0 or <0. */
int32_t openrs_trainer_forward(openrs_trainer * tr, const int32_t * tokens, const int32_t * lens, const int32_t * prompts,
                               int32_t n_seq, float temperature, float * out_logprobs, float * out_entropy);
int32_t openrs_trainer_backward(openrs_trainer * tr, const int32_t * tokens, const int32_t * lens, const int32_t * prompts,
                                int32_t n_seq, float temperature, const float * weights, float * out_logprobs, float * out_entropy);
int32_t openrs_trainer_zero_grad(openrs_trainer * tr);
/* Clips, takes one AdamW step, zeroes the gradients; writes the norm before clipping; returns the step count or <0. */
int64_t openrs_trainer_step(openrs_trainer * tr, const openrs_adamw_params * params, double * out_grad_norm);
int32_t openrs_trainer_save(openrs_trainer * tr, const char * dir, int32_t bf16); /* HF checkpoint dir */
int32_t openrs_trainer_save_state(openrs_trainer * tr, const char * dir);
int32_t openrs_trainer_load_state(openrs_trainer * tr, const char * dir);

/* Tensors by index (name, NULL past the end) and by name: which 0 weight, 1 grad, 2 first moment, 3 second moment.
 * Copies n values out to read (if not NULL), then in from write (if not NULL); returns the element count (n must equal
 * it when a buffer is given) or -1. */
const char * openrs_trainer_tensor_name(const openrs_trainer * tr, int32_t i);
int64_t      openrs_trainer_tensor(openrs_trainer * tr, const char * name, int32_t which, float * read, const float * write, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
