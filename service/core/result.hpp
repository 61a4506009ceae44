// Error handling for the core: no exceptions below service/dbus.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ctd {

// code is a positive errno value (EINVAL, ENOENT, ...) so callers can map it onto
// D-Bus error names and conntrack's exit messages; message is for humans and carries
// the kernel's extended-ack text when there was one.
struct Error {
    int code = 0;
    std::string message;
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

struct Ok {};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Ok) {}
    Result(Error error) : error_(std::move(error)), ok_(false) {}
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return error_; }

private:
    Error error_;
    bool ok_ = true;
};

inline Error makeError(int code, std::string message) { return Error{code, std::move(message)}; }

} // namespace ctd
