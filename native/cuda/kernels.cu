// kernels.cu: hand-written CUDA kernels (no cuBLAS in this toolkit); correctness is checked against CPU loops by tests/cuda_check.cu.
#include <cfloat>

#include "kernels.cuh"

namespace openrs_cuda {

// ---- bf16 GEMM on tensor cores: 64x64 block tile, 4 warps of 32x32, K step 16.
constexpr int BM = 64, BN = 64, BK = 16, PAD = 8;

__device__ __forceinline__ void mma_bf16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__global__ void gemm_bf16_kernel(float * Y, const __nv_bfloat16 * X, const __nv_bfloat16 * W, const float * bias, int M, int N, int K) {
    __shared__ __align__(16) __nv_bfloat16 As[BM][BK + PAD];
    __shared__ __align__(16) __nv_bfloat16 Bs[BN][BK + PAD];
    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
    const int wm = (warp / 2) * 32, wn = (warp % 2) * 32; // warp's sub-tile
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int g = lane / 4, tg = lane % 4; // mma fragment coordinates
    float acc[2][4][4] = {};
    const int lr = tid / 2, lc = (tid % 2) * 8; // each thread loads 8 bf16 of A and of B per K step
    for (int k0 = 0; k0 < K; k0 += BK) {
        uint4 za = make_uint4(0, 0, 0, 0), zb = za;
        if (m0 + lr < M && k0 + lc < K) za = *reinterpret_cast<const uint4 *>(X + (int64_t)(m0 + lr) * K + k0 + lc);
        if (n0 + lr < N && k0 + lc < K) zb = *reinterpret_cast<const uint4 *>(W + (int64_t)(n0 + lr) * K + k0 + lc);
        *reinterpret_cast<uint4 *>(&As[lr][lc]) = za;
        *reinterpret_cast<uint4 *>(&Bs[lr][lc]) = zb;
        __syncthreads();
        uint32_t a[2][4], b[4][2];
        for (int i = 0; i < 2; i++) {
            const int r = wm + i * 16 + g;
            a[i][0] = *reinterpret_cast<const uint32_t *>(&As[r][tg * 2]);
            a[i][1] = *reinterpret_cast<const uint32_t *>(&As[r + 8][tg * 2]);
            a[i][2] = *reinterpret_cast<const uint32_t *>(&As[r][tg * 2 + 8]);
            a[i][3] = *reinterpret_cast<const uint32_t *>(&As[r + 8][tg * 2 + 8]);
        }
        for (int j = 0; j < 4; j++) { // B = W^T: column n of B is row n of W, so k pairs are contiguous
            const int c = wn + j * 8 + g;
            b[j][0] = *reinterpret_cast<const uint32_t *>(&Bs[c][tg * 2]);
            b[j][1] = *reinterpret_cast<const uint32_t *>(&Bs[c][tg * 2 + 8]);
        }
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 4; j++) mma_bf16(acc[i][j], a[i], b[j]);
        __syncthreads();
    }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            for (int h = 0; h < 2; h++) {
                const int r = m0 + wm + i * 16 + g + h * 8, c = n0 + wn + j * 8 + tg * 2;
                if (r >= M) continue;
                if (c < N) Y[(int64_t)r * N + c] = acc[i][j][h * 2] + (bias ? bias[c] : 0.f);
                if (c + 1 < N) Y[(int64_t)r * N + c + 1] = acc[i][j][h * 2 + 1] + (bias ? bias[c + 1] : 0.f);
            }
}

void gemm_bf16(float * Y, const __nv_bfloat16 * X, const __nv_bfloat16 * W, const float * bias, int M, int N, int K, cudaStream_t s) {
    dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM);
    gemm_bf16_kernel<<<grid, 128, 0, s>>>(Y, X, W, bias, M, N, K);
}

// ---- GEMV for decode: weights dominate traffic, so each warp streams one row once for all T tokens.
template <int T>
__global__ void gemv_bf16_kernel(float * Y, const float * X, const __nv_bfloat16 * W, const float * bias, int N, int K) {
    const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= N) return;
    float acc[T] = {};
    const __nv_bfloat16 * w = W + (int64_t)row * K;
    for (int k = lane * 8; k < K; k += 32 * 8) {
        uint4 raw = *reinterpret_cast<const uint4 *>(w + k);
        const __nv_bfloat162 * h = reinterpret_cast<const __nv_bfloat162 *>(&raw);
        float wf[8];
        for (int i = 0; i < 4; i++) {
            float2 f = __bfloat1622float2(h[i]);
            wf[2 * i] = f.x;
            wf[2 * i + 1] = f.y;
        }
        for (int t = 0; t < T; t++) {
            const float4 x0 = *reinterpret_cast<const float4 *>(X + (int64_t)t * K + k);
            const float4 x1 = *reinterpret_cast<const float4 *>(X + (int64_t)t * K + k + 4);
            acc[t] += wf[0] * x0.x + wf[1] * x0.y + wf[2] * x0.z + wf[3] * x0.w + wf[4] * x1.x + wf[5] * x1.y + wf[6] * x1.z + wf[7] * x1.w;
        }
    }
    for (int t = 0; t < T; t++) {
        float v = acc[t];
        for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
        if (lane == 0) Y[(int64_t)t * N + row] = v + (bias ? bias[row] : 0.f);
    }
}

void gemv_bf16(float * Y, const float * X, const __nv_bfloat16 * W, const float * bias, int T, int N, int K, cudaStream_t s) {
    const int warps = 8, blocks = (N + warps - 1) / warps;
    switch (T) {
#define OPENRS_GEMV(n) case n: gemv_bf16_kernel<n><<<blocks, warps * 32, 0, s>>>(Y, X, W, bias, N, K); break;
        OPENRS_GEMV(1) OPENRS_GEMV(2) OPENRS_GEMV(3) OPENRS_GEMV(4) OPENRS_GEMV(5) OPENRS_GEMV(6) OPENRS_GEMV(7) OPENRS_GEMV(8)
#undef OPENRS_GEMV
        default: break; // callers use gemm_bf16 above 8 tokens
    }
}

// ---- block-wide sum for 256-thread blocks
__device__ float block_sum(float v) {
    __shared__ float part[32];
    for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
    if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = v;
    __syncthreads();
    v = threadIdx.x < blockDim.x / 32 ? part[threadIdx.x] : 0.f;
    if (threadIdx.x < 32)
        for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
    if (threadIdx.x == 0) part[0] = v;
    __syncthreads();
    v = part[0];
    __syncthreads();
    return v;
}

__global__ void rmsnorm_kernel(float * out, __nv_bfloat16 * out_bf16, const float * x, const float * w, int n, float eps) {
    const float * xr = x + (int64_t)blockIdx.x * n;
    float ss = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) ss += xr[i] * xr[i];
    const float r = rsqrtf(block_sum(ss) / n + eps);
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const float v = xr[i] * r * w[i];
        out[(int64_t)blockIdx.x * n + i] = v;
        if (out_bf16) out_bf16[(int64_t)blockIdx.x * n + i] = __float2bfloat16(v);
    }
}

void rmsnorm(float * out, __nv_bfloat16 * out_bf16, const float * x, const float * w, int T, int n, float eps, cudaStream_t s) {
    rmsnorm_kernel<<<T, 256, 0, s>>>(out, out_bf16, x, w, n, eps);
}

__global__ void rope_kernel(float * v, const int32_t * pos, int T, int nh, int hd, const float * inv_freq, float attn_factor) {
    const int half = hd / 2;
    const int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (int64_t)T * nh * half) return;
    const int i = idx % half, h = (idx / half) % nh, t = idx / ((int64_t)half * nh);
    const float a = pos[t] * inv_freq[i];
    float sn, cs;
    sincosf(a, &sn, &cs);
    cs *= attn_factor;
    sn *= attn_factor;
    float * p = v + ((int64_t)t * nh + h) * hd;
    const float x0 = p[i], x1 = p[i + half];
    p[i] = x0 * cs - x1 * sn;
    p[i + half] = x1 * cs + x0 * sn;
}

void rope(float * v, const int32_t * pos, int T, int nh, int hd, const float * inv_freq, float attn_factor, cudaStream_t s) {
    const int64_t n = (int64_t)T * nh * (hd / 2);
    rope_kernel<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(v, pos, T, nh, hd, inv_freq, attn_factor);
}

// One warp per (token, head) with an online softmax: no score buffer, any context length.
__global__ void attention_kernel(float * o, const float * q, float * const * k_base, float * const * v_base,
                                 const int64_t * lstride, int layer, const int32_t * pos, int T, int nh, int nkv, int hd) {
    const int wid = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (wid >= T * nh) return;
    const int t = wid / nh, h = wid % nh, hk = h / (nh / nkv), kvd = nkv * hd;
    const float * qh = q + ((int64_t)t * nh + h) * hd;
    const float * kb = k_base[t] + layer * lstride[t] + hk * hd;
    const float * vb = v_base[t] + layer * lstride[t] + hk * hd;
    const float scale = rsqrtf((float)hd);
    float m = -FLT_MAX, l = 0, acc[8] = {}; // lane owns dims lane, lane+32, ... (hd <= 256)
    for (int p = 0; p <= pos[t]; p++) {
        float d = 0;
        for (int i = lane; i < hd; i += 32) d += qh[i] * kb[(int64_t)p * kvd + i];
        for (int off = 16; off; off >>= 1) d += __shfl_xor_sync(0xffffffff, d, off);
        d *= scale;
        const float mn = fmaxf(m, d), c = __expf(m - mn), e = __expf(d - mn);
        l = l * c + e;
        for (int i = lane, j = 0; i < hd; i += 32, j++) acc[j] = acc[j] * c + e * vb[(int64_t)p * kvd + i];
        m = mn;
    }
    for (int i = lane, j = 0; i < hd; i += 32, j++) o[((int64_t)t * nh + h) * hd + i] = acc[j] / l;
}

void attention(float * o, const float * q, float * const * k_base, float * const * v_base, const int64_t * layer_stride,
               int layer, const int32_t * pos, int T, int nh, int nkv, int hd, cudaStream_t s) {
    const int warps = 4;
    attention_kernel<<<(T * nh + warps - 1) / warps, warps * 32, 0, s>>>(o, q, k_base, v_base, layer_stride, layer, pos, T, nh, nkv, hd);
}

__global__ void kv_store_kernel(float * const * k_base, float * const * v_base, const int64_t * lstride, int layer,
                                const int32_t * pos, const float * k, const float * v, int T, int kvd) {
    const int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (int64_t)T * kvd) return;
    const int t = idx / kvd, i = idx % kvd;
    const int64_t off = layer * lstride[t] + (int64_t)pos[t] * kvd + i;
    k_base[t][off] = k[idx];
    v_base[t][off] = v[idx];
}

void kv_store(float * const * k_base, float * const * v_base, const int64_t * layer_stride, int layer, const int32_t * pos,
              const float * k, const float * v, int T, int kvd, cudaStream_t s) {
    const int64_t n = (int64_t)T * kvd;
    kv_store_kernel<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(k_base, v_base, layer_stride, layer, pos, k, v, T, kvd);
}

__global__ void embed_kernel(float * x, const __nv_bfloat16 * embed, const int32_t * tokens, int T, int d) {
    const int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (int64_t)T * d) return;
    const int t = idx / d, i = idx % d;
    x[idx] = __bfloat162float(embed[(int64_t)tokens[t] * d + i]);
}

void embed_rows(float * x, const __nv_bfloat16 * embed, const int32_t * tokens, int T, int d, cudaStream_t s) {
    const int64_t n = (int64_t)T * d;
    embed_kernel<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(x, embed, tokens, T, d);
}

__global__ void add_kernel(float * y, const float * x, int64_t n) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] += x[i];
}

void add_inplace(float * y, const float * x, int64_t n, cudaStream_t s) { add_kernel<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(y, x, n); }

__global__ void to_bf16_kernel(__nv_bfloat16 * dst, const float * src, int64_t n) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) dst[i] = __float2bfloat16(src[i]);
}

void to_bf16(__nv_bfloat16 * dst, const float * src, int64_t n, cudaStream_t s) {
    to_bf16_kernel<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(dst, src, n);
}

__global__ void gather_kernel(float * dst, const float * src, const int32_t * rows, int n_rows, int d) {
    const int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (int64_t)n_rows * d) return;
    const int r = idx / d, i = idx % d;
    dst[idx] = src[(int64_t)rows[r] * d + i];
}

void gather_rows(float * dst, const float * src, const int32_t * rows, int n_rows, int d, cudaStream_t s) {
    const int64_t n = (int64_t)n_rows * d;
    gather_kernel<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(dst, src, rows, n_rows, d);
}

__global__ void swiglu_kernel(float * g, const float * u, int64_t n) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) g[i] = g[i] / (1.f + __expf(-g[i])) * u[i];
}

void swiglu(float * g, const float * u, int64_t n, cudaStream_t s) {
    swiglu_kernel<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(g, u, n);
}

// splitmix64 of (seed, step, index): a counter-based uniform in (0, 1).
__device__ __forceinline__ float uniform01(uint64_t seed, int32_t step, int32_t i) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * ((uint64_t)step * 0x100000001ull + (uint64_t)i + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return ((z >> 40) + 0.5f) * (1.f / 16777216.f);
}

__global__ void sample_kernel(int32_t * out, const float * logits, const float * temperature, const uint64_t * seed,
                              const int32_t * step, int V) {
    const int b = blockIdx.x;
    const float * lg = logits + (int64_t)b * V;
    const float tmp = temperature[b];
    float best = -FLT_MAX;
    int arg = 0x7fffffff;
    for (int i = threadIdx.x; i < V; i += blockDim.x) {
        // Gumbel-max: argmax(logit / T + Gumbel) is an exact sample from softmax(logit / T).
        const float v = tmp <= 0.f ? lg[i] : lg[i] / tmp - logf(-logf(uniform01(seed[b], step[b], i)));
        if (v > best || (v == best && i < arg)) { best = v; arg = i; }
    }
    __shared__ float sv[256];
    __shared__ int si[256];
    sv[threadIdx.x] = best;
    si[threadIdx.x] = arg;
    __syncthreads();
    for (int o = blockDim.x / 2; o; o >>= 1) {
        if (threadIdx.x < o) {
            const float v2 = sv[threadIdx.x + o];
            const int i2 = si[threadIdx.x + o];
            if (v2 > sv[threadIdx.x] || (v2 == sv[threadIdx.x] && i2 < si[threadIdx.x])) { sv[threadIdx.x] = v2; si[threadIdx.x] = i2; }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) out[b] = si[0];
}

void sample(int32_t * out, const float * logits, const float * temperature, const uint64_t * seed, const int32_t * step,
            int B, int V, cudaStream_t s) {
    sample_kernel<<<B, 256, 0, s>>>(out, logits, temperature, seed, step, V);
}

} // namespace openrs_cuda
