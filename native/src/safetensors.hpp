// safetensors.hpp: memory-mapped safetensors files (single or sharded) with header validation; no model semantics.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace openrs {

enum class DType { F32 = 0, F16 = 1, BF16 = 2 };
inline size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 2; }
inline const char * dtype_name(DType t) { return t == DType::F32 ? "F32" : t == DType::F16 ? "F16" : "BF16"; }

struct TensorView {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    const void * data = nullptr;
    size_t nbytes = 0;
    int64_t numel() const { int64_t n = 1; for (auto d : shape) n *= d; return n; }
};

// One mapped file; the mapping lives as long as the object.
struct MappedFile {
    void * base = nullptr;
    size_t size = 0;
    ~MappedFile();
};

class SafeTensors {
  public:
    // Loads model.safetensors or, if absent, the shards named by model.safetensors.index.json.
    bool open_dir(const std::string & dir, std::string & err);
    // Parses one file's header against its length; exposed for the fuzz test (no mapping needed).
    static bool parse_header(const uint8_t * bytes, size_t size, const void * data_base, std::vector<TensorView> & out,
                             std::string & err);
    const TensorView * find(const std::string & name) const {
        auto it = index_.find(name);
        return it == index_.end() ? nullptr : &tensors_[it->second];
    }
    const std::vector<TensorView> & tensors() const { return tensors_; }

  private:
    bool open_file(const std::string & path, std::string & err);
    std::vector<std::unique_ptr<MappedFile>> files_;
    std::vector<TensorView> tensors_;
    std::map<std::string, size_t> index_;
};

bool read_text_file(const std::string & path, std::string & out, std::string & err);

} // namespace openrs
