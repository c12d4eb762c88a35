// json.hpp: a small strict JSON parser for config.json and safetensors headers (bounded depth, never reads past the input).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace openrs {

struct Json {
    enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
    bool b = false;
    double num = 0;
    std::string str;
    std::vector<Json> arr;
    std::vector<std::pair<std::string, Json>> obj; // keeps file order; lookups are linear (objects are small)

    const Json * get(const std::string & key) const {
        if (kind != Object) return nullptr;
        for (auto & kv : obj) if (kv.first == key) return &kv.second;
        return nullptr;
    }
    bool is_int() const { return kind == Number && num == (double)(int64_t)num; }
};

class JsonParser {
  public:
    JsonParser(const char * p, size_t n) : s_(p), n_(n) {}
    // Returns false with a message in err on any syntax error, trailing garbage or nesting deeper than 64.
    bool parse(Json & out, std::string & err) {
        if (!value(out, 0)) { err = err_ + " at byte " + std::to_string(i_); return false; }
        ws();
        if (i_ != n_) { err = "trailing characters at byte " + std::to_string(i_); return false; }
        return true;
    }

  private:
    const char * s_;
    size_t n_, i_ = 0;
    std::string err_;

    bool fail(const char * m) { err_ = m; return false; }
    void ws() { while (i_ < n_ && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) i_++; }
    bool lit(const char * w) {
        size_t k = 0;
        for (; w[k]; k++) if (i_ + k >= n_ || s_[i_ + k] != w[k]) return false;
        i_ += k;
        return true;
    }
    static void utf8(std::string & o, uint32_t c) {
        if (c < 0x80) o += (char)c;
        else if (c < 0x800) { o += (char)(0xC0 | (c >> 6)); o += (char)(0x80 | (c & 0x3F)); }
        else if (c < 0x10000) { o += (char)(0xE0 | (c >> 12)); o += (char)(0x80 | ((c >> 6) & 0x3F)); o += (char)(0x80 | (c & 0x3F)); }
        else { o += (char)(0xF0 | (c >> 18)); o += (char)(0x80 | ((c >> 12) & 0x3F)); o += (char)(0x80 | ((c >> 6) & 0x3F)); o += (char)(0x80 | (c & 0x3F)); }
    }
    bool hex4(uint32_t & v) {
        if (i_ + 4 > n_) return fail("truncated \\u escape");
        v = 0;
        for (int k = 0; k < 4; k++) {
            char c = s_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= c - '0';
            else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
            else return fail("bad \\u escape");
        }
        return true;
    }
    bool string(std::string & o) {
        i_++; // opening quote
        while (true) {
            if (i_ >= n_) return fail("unterminated string");
            char c = s_[i_++];
            if (c == '"') return true;
            if ((unsigned char)c < 0x20) return fail("control character in string");
            if (c != '\\') { o += c; continue; }
            if (i_ >= n_) return fail("unterminated escape");
            char e = s_[i_++];
            switch (e) {
                case '"': o += '"'; break;
                case '\\': o += '\\'; break;
                case '/': o += '/'; break;
                case 'b': o += '\b'; break;
                case 'f': o += '\f'; break;
                case 'n': o += '\n'; break;
                case 'r': o += '\r'; break;
                case 't': o += '\t'; break;
                case 'u': {
                    uint32_t v;
                    if (!hex4(v)) return false;
                    if (v >= 0xD800 && v < 0xDC00 && i_ + 6 <= n_ && s_[i_] == '\\' && s_[i_ + 1] == 'u') {
                        i_ += 2;
                        uint32_t lo;
                        if (!hex4(lo)) return false;
                        if (lo >= 0xDC00 && lo < 0xE000) v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    utf8(o, v);
                    break;
                }
                default: return fail("bad escape");
            }
        }
    }
    bool number(Json & o) {
        size_t st = i_;
        if (i_ < n_ && s_[i_] == '-') i_++;
        size_t digits = 0;
        while (i_ < n_ && s_[i_] >= '0' && s_[i_] <= '9') { i_++; digits++; }
        if (!digits) return fail("bad number");
        if (i_ < n_ && s_[i_] == '.') {
            i_++;
            size_t f = 0;
            while (i_ < n_ && s_[i_] >= '0' && s_[i_] <= '9') { i_++; f++; }
            if (!f) return fail("bad number");
        }
        if (i_ < n_ && (s_[i_] == 'e' || s_[i_] == 'E')) {
            i_++;
            if (i_ < n_ && (s_[i_] == '+' || s_[i_] == '-')) i_++;
            size_t f = 0;
            while (i_ < n_ && s_[i_] >= '0' && s_[i_] <= '9') { i_++; f++; }
            if (!f) return fail("bad number");
        }
        o.kind = Json::Number;
        o.num = std::strtod(std::string(s_ + st, i_ - st).c_str(), nullptr); // copy: strtod needs a terminator
        return true;
    }
    bool value(Json & o, int depth) {
        if (depth > 64) return fail("nesting too deep");
        ws();
        if (i_ >= n_) return fail("unexpected end");
        char c = s_[i_];
        if (c == '{') {
            i_++;
            o.kind = Json::Object;
            ws();
            if (i_ < n_ && s_[i_] == '}') { i_++; return true; }
            while (true) {
                ws();
                if (i_ >= n_ || s_[i_] != '"') return fail("expected key");
                std::string k;
                if (!string(k)) return false;
                ws();
                if (i_ >= n_ || s_[i_] != ':') return fail("expected ':'");
                i_++;
                o.obj.emplace_back(std::move(k), Json());
                if (!value(o.obj.back().second, depth + 1)) return false;
                ws();
                if (i_ < n_ && s_[i_] == ',') { i_++; continue; }
                if (i_ < n_ && s_[i_] == '}') { i_++; return true; }
                return fail("expected ',' or '}'");
            }
        }
        if (c == '[') {
            i_++;
            o.kind = Json::Array;
            ws();
            if (i_ < n_ && s_[i_] == ']') { i_++; return true; }
            while (true) {
                o.arr.emplace_back();
                if (!value(o.arr.back(), depth + 1)) return false;
                ws();
                if (i_ < n_ && s_[i_] == ',') { i_++; continue; }
                if (i_ < n_ && s_[i_] == ']') { i_++; return true; }
                return fail("expected ',' or ']'");
            }
        }
        if (c == '"') { o.kind = Json::String; return string(o.str); }
        if (c == 't') { if (!lit("true")) return fail("bad literal"); o.kind = Json::Bool; o.b = true; return true; }
        if (c == 'f') { if (!lit("false")) return fail("bad literal"); o.kind = Json::Bool; return true; }
        if (c == 'n') { if (!lit("null")) return fail("bad literal"); return true; }
        return number(o);
    }
};

} // namespace openrs
