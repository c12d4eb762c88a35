// fuzz_header.cpp: mutates and truncates a valid safetensors header and feeds each case to the parser (run under ASan in CI).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "../src/safetensors.hpp"

using namespace openrs;

static uint64_t rng = 88172645463325252ull;
static uint64_t next() { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static std::vector<uint8_t> file_of(const std::string & header, size_t data_len) {
    std::vector<uint8_t> f(8 + header.size() + data_len, 0);
    uint64_t n = header.size();
    for (int i = 0; i < 8; i++) f[i] = (uint8_t)(n >> (8 * i));
    for (size_t i = 0; i < header.size(); i++) f[8 + i] = (uint8_t)header[i];
    return f;
}

int main(int argc, char ** argv) {
    int cases = argc > 1 ? atoi(argv[1]) : 5000;
    const std::string base =
        "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
        "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[24,32]},\"c\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[32,34]}}";
    const char * tokens[] = {"{", "}", "[", "]", "\"", ",", ":", "-1", "1e999", "\\u", "null", "99999999999999999999", "0", "[0,", "\\"};
    int ok = 0, rejected = 0;
    for (int c = 0; c < cases; c++) {
        std::string h = base;
        int muts = 1 + next() % 4;
        for (int k = 0; k < muts; k++) {
            size_t pos = next() % (h.size() + 1);
            switch (next() % 7) {
                case 5: case 6: { // retarget a number: keeps the JSON valid, probes offsets, shapes and lengths
                    size_t d = h.find_first_of("0123456789", pos);
                    if (d != std::string::npos) h[d] = (char)('0' + next() % 10);
                    if (next() % 3 == 0 && d != std::string::npos) h.insert(d, std::to_string(next() % 100000));
                    break;
                }
                case 0: if (pos < h.size()) h[pos] = (char)(next() & 0xFF); break;
                case 1: if (pos < h.size()) h.erase(pos, 1 + next() % 8); break;
                case 2: h.insert(pos, tokens[next() % (sizeof tokens / sizeof *tokens)]); break;
                case 3: h.insert(pos, std::string(next() % 200, next() % 2 ? '[' : '{')); break;
                case 4: if (pos < h.size()) h.resize(pos); break;
            }
        }
        std::vector<uint8_t> f = file_of(h, 34);
        switch (next() % 4) { // sometimes truncate the file or corrupt the length prefix
            case 0: f.resize(next() % (f.size() + 1)); break;
            case 1: if (f.size() >= 8) f[next() % 8] = (uint8_t)next(); break;
            default: break;
        }
        // A heap copy of exactly the file's bytes, so ASan sees any read past the end.
        uint8_t * bytes = (uint8_t *)malloc(f.size() ? f.size() : 1);
        for (size_t i = 0; i < f.size(); i++) bytes[i] = f[i];
        std::vector<TensorView> out;
        std::string err;
        bool good = SafeTensors::parse_header(bytes, f.size(), bytes, out, err);
        if (good) {
            for (auto & t : out) { // touch every byte the parser says belongs to a tensor
                volatile uint8_t s = 0;
                for (size_t i = 0; i < t.nbytes; i++) s ^= ((const uint8_t *)t.data)[i];
                (void)s;
            }
            ok++;
        } else {
            if (err.empty()) { fprintf(stderr, "case %d: rejected without a message\n", c); return 1; }
            rejected++;
        }
        free(bytes);
    }
    printf("fuzz: %d cases, %d accepted, %d rejected with a message\n", cases, ok, rejected);
    return 0;
}
