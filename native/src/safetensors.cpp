// safetensors.cpp: header parsing and validation (lengths, offsets, dtypes, overlaps) and mmap of checkpoint files.
#include "safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.hpp"

namespace openrs {

MappedFile::~MappedFile() {
    if (base) munmap(base, size);
}

bool read_text_file(const std::string & path, std::string & out, std::string & err) {
    std::ifstream f(path, std::ios::binary);
    if (!f) { err = "cannot read " + path; return false; }
    std::ostringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return true;
}

static bool parse_dtype(const std::string & s, DType & t, std::string & err, const std::string & name) {
    if (s == "F32") t = DType::F32;
    else if (s == "F16") t = DType::F16;
    else if (s == "BF16") t = DType::BF16;
    else {
        static const char * known[] = {"F64", "I64", "I32", "I16", "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2", "U16", "U32", "U64"};
        bool k = false;
        for (auto * x : known) k = k || s == x;
        err = std::string(k ? "unsupported" : "unknown") + " dtype '" + s + "' for tensor " + name + " (supported: BF16, F16, F32)";
        return false;
    }
    return true;
}

bool SafeTensors::parse_header(const uint8_t * bytes, size_t size, const void * data_base, std::vector<TensorView> & out,
                               std::string & err) {
    if (size < 8) { err = "file too short for a safetensors header (" + std::to_string(size) + " bytes)"; return false; }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | bytes[i];
    if (hlen > size - 8) {
        err = "header length " + std::to_string(hlen) + " runs past end of file (" + std::to_string(size) + " bytes)";
        return false;
    }
    Json h;
    std::string jerr;
    if (!JsonParser((const char *)bytes + 8, (size_t)hlen).parse(h, jerr)) { err = "bad header JSON: " + jerr; return false; }
    if (h.kind != Json::Object) { err = "header is not a JSON object"; return false; }
    const uint64_t data_len = size - 8 - hlen;
    const uint8_t * data = data_base ? (const uint8_t *)data_base + 8 + hlen : nullptr;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    std::vector<std::string> range_names;
    for (auto & kv : h.obj) {
        const std::string & name = kv.first;
        if (name == "__metadata__") continue;
        const Json & t = kv.second;
        const Json * dt = t.get("dtype");
        const Json * sh = t.get("shape");
        const Json * off = t.get("data_offsets");
        if (!dt || dt->kind != Json::String || !sh || sh->kind != Json::Array || !off || off->kind != Json::Array ||
            off->arr.size() != 2) {
            err = "tensor " + name + ": needs dtype (string), shape (array) and data_offsets ([begin, end])";
            return false;
        }
        TensorView v;
        v.name = name;
        if (!parse_dtype(dt->str, v.dtype, err, name)) return false;
        uint64_t numel = 1;
        for (auto & d : sh->arr) {
            if (!d.is_int() || d.num < 0 || d.num > 1e12) { err = "tensor " + name + ": bad shape entry"; return false; }
            v.shape.push_back((int64_t)d.num);
            numel *= (uint64_t)d.num;
            if (numel > (1ull << 40)) { err = "tensor " + name + ": shape too large"; return false; }
        }
        for (auto & o : off->arr)
            if (!o.is_int() || o.num < 0 || o.num > 1.8e19) { err = "tensor " + name + ": bad data_offsets entry"; return false; }
        uint64_t b = (uint64_t)off->arr[0].num, e = (uint64_t)off->arr[1].num;
        if (b > e || e > data_len) {
            err = "tensor " + name + ": data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                  "] out of range (data section is " + std::to_string(data_len) + " bytes)";
            return false;
        }
        if (e - b != numel * dtype_size(v.dtype)) {
            err = "tensor " + name + ": " + std::to_string(e - b) + " bytes for " + std::to_string(numel) + " " +
                  dtype_name(v.dtype) + " elements";
            return false;
        }
        v.data = data ? data + b : nullptr;
        v.nbytes = e - b;
        ranges.push_back({b, e});
        range_names.push_back(name);
        out.push_back(std::move(v));
    }
    std::vector<size_t> order(ranges.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ranges[a] < ranges[b]; });
    for (size_t i = 1; i < order.size(); i++) {
        auto & p = ranges[order[i - 1]];
        auto & q = ranges[order[i]];
        if (q.first < p.second) {
            err = "tensors " + range_names[order[i - 1]] + " and " + range_names[order[i]] + " overlap in the data section";
            return false;
        }
    }
    return true;
}

bool SafeTensors::open_file(const std::string & path, std::string & err) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) { err = "cannot open " + path; return false; }
    struct stat st;
    if (fstat(fd, &st) != 0) { ::close(fd); err = "cannot stat " + path; return false; }
    auto mf = std::make_unique<MappedFile>();
    mf->size = (size_t)st.st_size;
    if (mf->size > 0) {
        void * p = mmap(nullptr, mf->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) { ::close(fd); err = "cannot mmap " + path; return false; }
        mf->base = p;
    }
    ::close(fd);
    std::vector<TensorView> ts;
    std::string e;
    if (!parse_header((const uint8_t *)mf->base, mf->size, mf->base, ts, e)) { err = path + ": " + e; return false; }
    for (auto & t : ts) {
        if (index_.count(t.name)) { err = path + ": tensor " + t.name + " appears in more than one file"; return false; }
        index_[t.name] = tensors_.size();
        tensors_.push_back(std::move(t));
    }
    files_.push_back(std::move(mf));
    return true;
}

bool SafeTensors::open_dir(const std::string & dir, std::string & err) {
    std::string single = dir + "/model.safetensors";
    struct stat st;
    if (stat(single.c_str(), &st) == 0) return open_file(single, err);
    std::string idx_path = dir + "/model.safetensors.index.json", text;
    if (stat(idx_path.c_str(), &st) != 0) { err = dir + ": no model.safetensors or model.safetensors.index.json"; return false; }
    if (!read_text_file(idx_path, text, err)) return false;
    Json idx;
    std::string jerr;
    if (!JsonParser(text.data(), text.size()).parse(idx, jerr)) { err = idx_path + ": " + jerr; return false; }
    const Json * wm = idx.get("weight_map");
    if (!wm || wm->kind != Json::Object) { err = idx_path + ": missing weight_map"; return false; }
    std::vector<std::string> shards;
    for (auto & kv : wm->obj) {
        if (kv.second.kind != Json::String || kv.second.str.find('/') != std::string::npos) {
            err = idx_path + ": bad shard name for " + kv.first;
            return false;
        }
        if (std::find(shards.begin(), shards.end(), kv.second.str) == shards.end()) shards.push_back(kv.second.str);
    }
    for (auto & s : shards)
        if (!open_file(dir + "/" + s, err)) return false;
    return true;
}

} // namespace openrs
