#include "launcher/sagemaker/python_format.h"

#include <gtest/gtest.h>

namespace tandem::launcher {
namespace {

using nlohmann::json;

TEST(PythonFloatRepr, MatchesPythonRepr) {
  EXPECT_EQ(python_float_repr(4.0), "4.0");
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(python_float_repr(2.5e-07), "2.5e-07");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1.5e300), "1.5e+300");
  EXPECT_EQ(python_float_repr(123456789.123), "123456789.123");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(0.0), "0.0");
}

TEST(PythonStr, RendersDecodedJsonLikeStr) {
  EXPECT_EQ(python_str(json(true)), "True");
  EXPECT_EQ(python_str(json(false)), "False");
  EXPECT_EQ(python_str(json(nullptr)), "None");
  EXPECT_EQ(python_str(json(3)), "3");
  EXPECT_EQ(python_str(json(4.0)), "4.0");
  EXPECT_EQ(python_str(json("gpt2")), "gpt2");
  EXPECT_EQ(python_str(json::parse(R"(["1", ["2", "3"]])")), "['1', ['2', '3']]");
  EXPECT_EQ(python_str(json::parse(R"({"a": "x", "b": [1.0, null, true]})")), "{'a': 'x', 'b': [1.0, None, True]}");
  EXPECT_EQ(python_str(json::parse(R"(["it's", "a\"b'c", "tab\t\u0001"])")), R"(["it's", 'a"b\'c', 'tab\t\x01'])");
}

TEST(PythonJson, CompactAndDefaultSeparators) {
  const json value = json::parse(R"({"b": [1, 2.0, "é"], "a": null, "c": {"x": true}})");
  EXPECT_EQ(python_json_compact(value), R"({"a":null,"b":[1,2.0,"\u00e9"],"c":{"x":true}})");
  EXPECT_EQ(python_json_dumps(value), R"({"a": null, "b": [1, 2.0, "\u00e9"], "c": {"x": true}})");
  EXPECT_EQ(python_json_compact(json("x\x7f")), R"("x\u007f")");
  EXPECT_EQ(python_json_compact(json(1e-05)), "1e-05");
}

}  // namespace
}  // namespace tandem::launcher
