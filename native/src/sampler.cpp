// sampler.cpp: token sampling; candidate order is deterministic so a seed always yields the same token.
#include "sampler.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace openrs {

static uint64_t splitmix(uint64_t & x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
Rng::Rng(uint64_t seed) { for (auto & w : s) w = splitmix(seed); }
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
uint64_t Rng::next() {
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
}

float logprob_of(const float * logits, int n, int tok) {
    float mx = -INFINITY;
    for (int i = 0; i < n; i++) mx = std::max(mx, logits[i]);
    double sum = 0; // float exp, double sum: ~3x cheaper than double exp and far inside the tolerance anyone needs
    for (int i = 0; i < n; i++) {
        const float d = logits[i] - mx;
        if (d > -88.f) sum += std::exp(d); // skip the underflow slow path: such terms are < 1e-38 of a sum >= 1
    }
    return (float)((double)logits[tok] - mx - std::log(sum));
}

int32_t sample_token(const float * logits, int n, const Sampling & p, Rng & rng) {
    int best = 0;
    for (int i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    if (p.temperature <= 0.f) return best;
    const float mx = logits[best];
    const double inv_t = 1.0 / p.temperature;
    auto w = [&](int i) { return std::exp((double)(logits[i] - mx) * inv_t); };
    auto before = [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
    // Candidates in a fixed order: the top_k set sorted by (logit desc, id asc), or every id in id order.
    std::vector<int> cand;
    const bool use_k = p.top_k > 0 && p.top_k < n;
    if (use_k) {
        std::vector<int> idx(n);
        for (int i = 0; i < n; i++) idx[i] = i;
        std::nth_element(idx.begin(), idx.begin() + p.top_k, idx.end(), before);
        cand.assign(idx.begin(), idx.begin() + p.top_k);
        std::sort(cand.begin(), cand.end(), before);
    }
    if (p.top_p < 1.f) {
        if (use_k) {
            double z = 0, cum = 0;
            for (int i : cand) z += w(i);
            size_t cut = cand.size();
            for (size_t j = 0; j < cand.size(); j++) {
                cum += w(cand[j]) / z;
                if (cum >= p.top_p) { cut = j + 1; break; }
            }
            cand.resize(cut);
        } else {
            // Exact nucleus in O(n): bucket tokens by distance below the best logit (strictly ordered between
            // buckets), find the bucket where the mass crosses top_p, sort only that bucket to cut inside it.
            const int NB = 2048;
            const double span = 40.0; // nats; everything further down shares the last bucket
            auto bucket = [&](int i) {
                double dist = (double)(mx - logits[i]) * inv_t * (NB / span);
                return dist >= NB - 1 ? NB - 1 : (int)dist;
            };
            std::vector<double> mass(NB, 0.0);
            double z = 0;
            for (int i = 0; i < n; i++) {
                const double wi = w(i);
                mass[bucket(i)] += wi;
                z += wi;
            }
            double cum = 0;
            int edge = NB - 1;
            for (int b = 0; b < NB; b++) {
                if (cum + mass[b] / z >= p.top_p) { edge = b; break; }
                cum += mass[b] / z;
            }
            std::vector<int> border;
            for (int i = 0; i < n; i++) {
                const int b = bucket(i);
                if (b < edge) cand.push_back(i);
                else if (b == edge) border.push_back(i);
            }
            std::sort(border.begin(), border.end(), before);
            for (int i : border) {
                cand.push_back(i);
                cum += w(i) / z;
                if (cum >= p.top_p) break;
            }
        }
    } else if (!use_k) {
        cand.resize(n);
        for (int i = 0; i < n; i++) cand[i] = i;
    }
    if (p.min_p > 0.f) { // keep tokens at least min_p times as likely as the best one
        std::vector<int> kept;
        for (int i : cand) if (w(i) >= p.min_p) kept.push_back(i);
        cand.swap(kept);
    }
    if (cand.empty()) return best;
    double tot = 0;
    for (int i : cand) tot += w(i);
    const double r = rng.uniform() * tot;
    double acc = 0;
    for (int i : cand) {
        acc += w(i);
        if (r < acc) return i;
    }
    return cand.back();
}

} // namespace openrs
