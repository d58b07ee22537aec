#pragma once
// Inputs whose reductions are exact in every dtype: element i on rank r is
// (r + 1) * (i % 13 + 1), small integers that float16, bfloat16 and uint8 hold
// exactly even after summing over 4 ranks (at most 10 * 13 = 130), and whose
// average over n ranks, (n + 1) / 2 * (i % 13 + 1), is a multiple of 0.5.

#include <cstdint>
#include <cstring>
#include <vector>

#include "parallel/comm/dtype.h"
#include "parallel/comm/half.h"

namespace tandem::comm::testing {

inline double input_value(int rank, std::size_t i) { return double(rank + 1) * double(i % 13 + 1); }

inline double expected_value(ReduceOp op, int size, std::size_t i) {
  const double m = double(i % 13 + 1);
  switch (op) {
    case ReduceOp::Sum: return m * size * (size + 1) / 2.0;
    case ReduceOp::Average: return m * (size + 1) / 2.0;
    case ReduceOp::Max: return m * size;
    case ReduceOp::Min: return m;
  }
  return 0;
}

// The same as functions of the index, for make_buffer and first_mismatch.
inline auto inputs_of(int rank) {
  return [rank](std::size_t i) { return input_value(rank, i); };
}
inline auto reduced(ReduceOp op, int size) {
  return [op, size](std::size_t i) { return expected_value(op, size, i); };
}

// Raw bytes of `count` elements of `dtype`, element i set to value(i).
template <class ValueOf>
std::vector<unsigned char> make_buffer(DType dtype, std::size_t count, ValueOf value) {
  std::vector<unsigned char> bytes(count * dtype_size(dtype));
  for (std::size_t i = 0; i < count; ++i) {
    const double v = value(i);
    unsigned char* at = bytes.data() + i * dtype_size(dtype);
    switch (dtype) {
      case DType::Float32: {
        float x = float(v);
        std::memcpy(at, &x, 4);
        break;
      }
      case DType::Float64: std::memcpy(at, &v, 8); break;
      case DType::Float16: {
        uint16_t x = float_to_fp16(float(v));
        std::memcpy(at, &x, 2);
        break;
      }
      case DType::BFloat16: {
        uint16_t x = float_to_bf16(float(v));
        std::memcpy(at, &x, 2);
        break;
      }
      case DType::Int32: {
        int32_t x = int32_t(v);
        std::memcpy(at, &x, 4);
        break;
      }
      case DType::Int64: {
        int64_t x = int64_t(v);
        std::memcpy(at, &x, 8);
        break;
      }
      case DType::UInt8: {
        uint8_t x = uint8_t(v);
        std::memcpy(at, &x, 1);
        break;
      }
    }
  }
  return bytes;
}

inline double read_value(DType dtype, const unsigned char* bytes, std::size_t i) {
  const unsigned char* at = bytes + i * dtype_size(dtype);
  switch (dtype) {
    case DType::Float32: {
      float x;
      std::memcpy(&x, at, 4);
      return x;
    }
    case DType::Float64: {
      double x;
      std::memcpy(&x, at, 8);
      return x;
    }
    case DType::Float16: {
      uint16_t x;
      std::memcpy(&x, at, 2);
      return fp16_to_float(x);
    }
    case DType::BFloat16: {
      uint16_t x;
      std::memcpy(&x, at, 2);
      return bf16_to_float(x);
    }
    case DType::Int32: {
      int32_t x;
      std::memcpy(&x, at, 4);
      return x;
    }
    case DType::Int64: {
      int64_t x;
      std::memcpy(&x, at, 8);
      return double(x);
    }
    case DType::UInt8: return at[0];
  }
  return 0;
}

// Index of the first element that differs from expected(i), or -1.
template <class ExpectedOf>
long first_mismatch(DType dtype, const std::vector<unsigned char>& bytes, std::size_t count,
                    ExpectedOf expected) {
  for (std::size_t i = 0; i < count; ++i) {
    if (read_value(dtype, bytes.data(), i) != expected(i)) return long(i);
  }
  return -1;
}

constexpr DType kAllDTypes[] = {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16,
                                DType::Int32,   DType::Int64,   DType::UInt8};

}  // namespace tandem::comm::testing
