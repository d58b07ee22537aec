#pragma once
// EXPECT_ERROR(statement, Type, "text"): the statement throws Type and the
// message contains text, so each test pins the key the user has to fix.
// error_message_of<Type>(f): the whole message, for tests that pin the line.

#include <string>

#include <gtest/gtest.h>

#define EXPECT_ERROR(statement, ErrorType, text)                                                     \
  do {                                                                                               \
    try {                                                                                            \
      statement;                                                                                     \
      ADD_FAILURE() << "no " #ErrorType " thrown; expected a message containing: " << (text);       \
    } catch (const ErrorType& error) {                                                               \
      EXPECT_NE(std::string(error.what()).find(text), std::string::npos)                            \
          << "message: " << error.what() << "\nexpected to contain: " << (text);                    \
    }                                                                                                \
  } while (0)

template <class ErrorType, class F>
std::string error_message_of(F&& f) {
  try {
    f();
  } catch (const ErrorType& error) {
    return error.what();
  }
  return "(no error thrown)";
}
