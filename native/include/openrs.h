/* openrs.h: plain-C API of the openrs inference core (load a Hugging Face checkpoint, generate, score); no tokenizer. */
#ifndef OPENRS_H
#define OPENRS_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct openrs_model openrs_model;     /* weights (memory-mapped) + config; read-only, shareable */
typedef struct openrs_session openrs_session; /* KV caches + scratch; one call at a time */

#define OPENRS_MAX_STOP 8
enum openrs_finish { OPENRS_FINISH_NONE = 0, OPENRS_FINISH_STOP = 1, OPENRS_FINISH_LENGTH = 2 };

typedef struct openrs_model_params {
    int32_t n_threads; /* 0 = all cores */
    int32_t use_cuda;  /* 0 CPU; 1 CUDA if built in and a device works (else CPU, with a notice on stderr
                          when a CUDA build finds no device); 2 CUDA or fail */
    int32_t kv_bf16;   /* CPU engine: 1 stores the KV cache as bf16 (half the memory and attention traffic;
                          K/V rounded to bf16), 0 f32 (default, exact); the CUDA engine keeps f32 */
    int32_t act_bf16;  /* CPU engine: 1 rounds every matmul input to bf16 (as bf16 frameworks such as vLLM and
                          llama.cpp feed their matmuls); with bf16 weights on AVX512-BF16 CPUs the products then run
                          as bf16 dot products (faster prefill and batched decode); 0 f32 (default, exact) */
} openrs_model_params;

typedef struct openrs_model_info {
    int32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ctx_max;
    int32_t dtype;   /* 0 f32, 1 f16, 2 bf16: the stored weight dtype */
    int32_t on_cuda; /* 1 when the model runs on the CUDA engine */
    int32_t kv_bf16; /* 1 when KV caches are bf16 */
    int32_t act_bf16; /* 1 when matmul inputs are rounded to bf16 */
    char arch[48];
    int64_t kv_bytes_per_pos; /* KV-cache bytes one cached position of one sequence costs (all layers, K and V) */
} openrs_model_info;

/* One sequence's sampling; temperature 0 = greedy. Filters apply in order top_k, top_p, min_p. */
typedef struct openrs_sampling_params {
    float temperature, top_p, min_p;
    int32_t top_k;          /* 0 = off */
    uint64_t seed;          /* each sequence has its own RNG: results never depend on batch mates */
    int32_t max_new_tokens;
    int32_t n_stop;
    int32_t stop[OPENRS_MAX_STOP]; /* a stop token ends the sequence and is kept in the output */
} openrs_sampling_params;

/* Called after each sampled token; return non-zero to cancel the whole call. */
typedef int32_t (*openrs_token_cb)(void * user, int32_t seq, int32_t token);

openrs_model_params    openrs_model_default_params(void);
openrs_sampling_params openrs_sampling_default_params(void);

/* NULL on failure, with a one-line reason in err (err_len bytes, NUL-terminated). */
openrs_model * openrs_model_load(const char * dir, openrs_model_params params, char * err, int32_t err_len);
void           openrs_model_free(openrs_model * model);
void           openrs_model_get_info(const openrs_model * model, openrs_model_info * out);

openrs_session * openrs_session_new(openrs_model * model);
void             openrs_session_free(openrs_session * session);
const char *     openrs_session_error(const openrs_session * session); /* last error, "" if none */

/* Generates n_samples continuations for each of n_prompts prompts (prompts concatenated in tokens,
 * lengths in prompt_lens). Sequence s = prompt * n_samples + sample uses params[s] and writes
 * out_tokens/out_logprobs[s * max_new .. +out_n[s]] and out_finish[s]. Logprobs are the model's
 * untempered log-softmax of the chosen token. Returns 0, 1 if cancelled, <0 on error. */
int32_t openrs_generate(openrs_session * session, const int32_t * tokens, const int32_t * prompt_lens,
                        int32_t n_prompts, int32_t n_samples, const openrs_sampling_params * params,
                        int32_t max_new, int32_t * out_tokens, float * out_logprobs, int32_t * out_n,
                        int32_t * out_finish, openrs_token_cb cb, void * cb_user);

/* Continuous batching: prompts join the session's running batch between steps and leave when they finish.
 * seq_start prefills one prompt once for its n_samples sequences and samples each one's first token, writing per
 * sample its id, token (-1 if max_new_tokens is 0), logprob and finish (OPENRS_FINISH_NONE while it runs).
 * step advances every running sequence one token in one batched forward and writes one event per sequence
 * (capacity >= openrs_seq_running); returns the event count, 0 when nothing runs, <0 on error. Finished
 * sequences free their KV caches; seq_stop ends one early (returns 1 if it was running). */
int32_t openrs_seq_start(openrs_session * session, const int32_t * prompt, int32_t n_prompt, int32_t n_samples,
                         const openrs_sampling_params * params, int32_t * out_ids, int32_t * out_tokens,
                         float * out_logprobs, int32_t * out_finish);
int32_t openrs_step(openrs_session * session, int32_t capacity, int32_t * out_ids, int32_t * out_tokens,
                    float * out_logprobs, int32_t * out_finish);
int32_t openrs_seq_stop(openrs_session * session, int32_t id);
int32_t openrs_seq_running(const openrs_session * session);

/* KV-cache memory, as the engine allocates it: a sequence's cache starts with room for its prompt + min(max_new_tokens,
 * 256) positions and doubles when full (capped at max_position_embeddings), so it holds what it has generated.
 * openrs_get_kv_usage reports the session's running sequences (id < 0: all of them; else that one): bytes allocated now,
 * and bytes allocated once the next openrs_step has grown the caches that are full. Returns the number of sequences
 * counted, -1 on NULL arguments. openrs_kv_start_bytes is what openrs_seq_start with these params would leave
 * allocated (samples with max_new_tokens 0 hold none); -1 on bad arguments. */
typedef struct openrs_kv_usage {
    int64_t allocated;
    int64_t after_step;
    int32_t n_seq;
} openrs_kv_usage;
int32_t openrs_get_kv_usage(const openrs_session * session, int32_t id, openrs_kv_usage * out);
int64_t openrs_kv_start_bytes(const openrs_model * model, int32_t n_prompt, int32_t n_samples,
                              const openrs_sampling_params * params);

/* Teacher forcing: out_logprobs[i - n_prompt] = log p(tokens[i] | tokens[<i]) for i in [n_prompt, n). */
int32_t openrs_score(openrs_session * session, const int32_t * tokens, int32_t n, int32_t n_prompt,
                     float * out_logprobs);

/* Logits of the last n_rows positions of tokens, [n_rows, n_vocab] row-major (for tests and tools). */
int32_t openrs_logits(openrs_session * session, const int32_t * tokens, int32_t n, int32_t n_rows,
                      float * out_logits);

#ifdef __cplusplus
}
#endif
#endif
