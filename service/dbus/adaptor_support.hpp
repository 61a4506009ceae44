// The shape every async method shares: count the call, hold the loop busy, validate,
// authorize, act, answer once. Kept in one place so each adaptor file only converts types
// and calls the backend (the systemd-networkd split, STYLE.md).
#pragma once

#include "errors.hpp"
#include "event_loop.hpp"
#include "log.hpp"
#include "output_stream.hpp"
#include "polkit.hpp"
#include "query_args.hpp"
#include "result.hpp"
#include "service_counters.hpp"

#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <memory>
#include <string>

namespace ctd::dbus {

// One method call waiting for its answer. sdbus::Result is move-only and std::function
// wants copies, hence the shared_ptr around it (ARCHITECTURE.md "Event loop").
template <typename... R>
class PendingCall {
public:
    PendingCall(sdbus::Result<R...>&& result, EventLoop& loop, std::string sender,
                std::string method)
        : result_(std::move(result)), hold_(loop.hold()), sender_(std::move(sender)),
          method_(std::move(method))
    {
        ++serviceCounters().calls;
    }

    const std::string& sender() const { return sender_; }
    const std::string& method() const { return method_; }
    bool answered() const { return answered_; }

    // Answers run from sd-event and sd-bus callbacks (C code): nothing may escape them, so
    // a reply that cannot be sent (the bus went away) is only logged.
    void reply(const R&... values)
    {
        if (answered_)
            return;
        answered_ = true;
        try {
            result_.returnResults(values...);
        } catch (const sdbus::Error& e) {
            log::warning("cannot answer " + method_ + ": " + e.getMessage());
        }
        hold_.release();
    }

    void fail(const sdbus::Error& error)
    {
        if (answered_)
            return;
        answered_ = true;
        ++serviceCounters().errors;
        if (error.getName() == errorName::AccessDenied)
            ++serviceCounters().denied;
        try {
            result_.returnError(error);
        } catch (const sdbus::Error& e) {
            log::warning("cannot answer " + method_ + ": " + e.getMessage());
        }
        hold_.release();
    }

    void fail(const ctd::Error& error) { fail(toDbusError(error)); }

private:
    sdbus::Result<R...> result_;
    EventLoop::Hold hold_;
    std::string sender_;
    std::string method_;
    bool answered_ = false;
};

template <typename... R>
using CallPtr = std::shared_ptr<PendingCall<R...>>;

// What a validated call does next: the polkit action and the details it shows
// (docs/dbus-api.md "polkit actions"), then what runs once polkit allows.
struct Authorized {
    std::string action;
    std::string query;
    bool interactive = false;
    std::function<void()> act;
};

struct AdaptorContext {
    EventLoop& loop;
    Authorizer& authorizer;
    LabelResolver labels;

    template <typename... R>
    CallPtr<R...> begin(sdbus::IObject& object, sdbus::Result<R...>&& result, std::string method)
    {
        const auto* message = object.getCurrentlyProcessedMessage();
        std::string sender = message ? message->getSender() : std::string();
        return std::make_shared<PendingCall<R...>>(std::move(result), loop, std::move(sender),
                                                   std::move(method));
    }

    // act runs only when polkit (or uid 0) allows; otherwise the call gets AccessDenied.
    template <typename... R>
    void authorizeThen(const CallPtr<R...>& call, const std::string& action,
                       const std::string& query, bool interactive, std::function<void()> act)
    {
        AuthRequest request{call->sender(), actionPrefix + action, call->method(), query,
                            interactive};
        authorizer.check(std::move(request), [call, act = std::move(act)](const AuthResult& auth) {
            if (!auth.allowed) {
                call->fail(accessDenied(auth.message));
                return;
            }
            act();
        });
    }

    // The one method runner, in the order of docs/dbus-api.md "Conventions": count the call
    // and hold the loop (begin), validate (validate(call) throws sdbus::Error, so a bad
    // argument is answered before polkit is asked and nothing is applied), authorize, act.
    // validate returns the Authorized step.
    template <typename... R, typename Validate>
    void serve(sdbus::IObject& object, sdbus::Result<R...>&& result, std::string method,
               Validate validate)
    {
        auto call = begin(object, std::move(result), std::move(method));
        try {
            Authorized next = validate(call);
            authorizeThen(call, next.action, next.query, next.interactive, std::move(next.act));
        } catch (const sdbus::Error& e) {
            call->fail(e);
        }
    }

    // Validation of an output fd; InvalidArgument when it is not a writable pipe or socket.
    std::shared_ptr<OutputStream> openStream(const sdbus::UnixFd& fd, OutputStream::Options options)
    {
        auto stream = OutputStream::open(loop, fd.get(), options);
        if (!stream)
            throw toDbusError(stream.error());
        return *stream;
    }
};

// Style of the loss record for a format (docs/dbus-api.md "Stream records").
inline OutputStream::LossStyle lossStyleFor(const OutputFormat& format)
{
    if (format.base == OutputFormat::Base::Json)
        return OutputStream::LossStyle::Json;
    if (format.base == OutputFormat::Base::Xml)
        return OutputStream::LossStyle::Xml;
    return OutputStream::LossStyle::Text;
}

// A failed backend result: the stream closes unread and the call gets the error. true
// when result failed (and was answered).
template <typename T, typename... R>
bool failedClosing(const CallPtr<R...>& call, const std::shared_ptr<OutputStream>& out,
                   const ctd::Result<T>& result)
{
    if (result)
        return false;
    out->close();
    call->fail(result.error());
    return true;
}

// Answer with value once everything written to out has reached the reader (or the reader
// went away), so a client that reads until EOF and then looks at the reply sees all of it.
template <typename T>
void replyAfterStream(const CallPtr<T>& call, const std::shared_ptr<OutputStream>& out,
                      ctd::Result<T> result)
{
    if (failedClosing(call, out, result))
        return;
    T value = *result;
    out->finish([call, value] { call->reply(value); });
}

// The same for methods without a value (Create).
inline void replyAfterStream(const CallPtr<>& call, const std::shared_ptr<OutputStream>& out,
                             ctd::Result<void> result)
{
    if (!failedClosing(call, out, result))
        out->finish([call] { call->reply(); });
}

// A backend's done callback that answers once the stream has drained.
template <typename... R>
auto replyAfterStreamOf(const CallPtr<R...>& call, const std::shared_ptr<OutputStream>& out)
{
    return [call, out](auto r) { replyAfterStream(call, out, std::move(r)); };
}

// A backend's done callback for a method without a stream (Flush, CountMatching).
template <typename T>
std::function<void(ctd::Result<T>)> replyOf(const CallPtr<T>& call)
{
    return [call](ctd::Result<T> r) { r ? call->reply(*r) : call->fail(r.error()); };
}

// Watch answers at once: the stream lives on in the backend, or closes if it refused.
inline void replyWatch(const CallPtr<>& call, const std::shared_ptr<OutputStream>& out,
                       ctd::Result<void> result)
{
    if (!failedClosing(call, out, result))
        call->reply();
}

} // namespace ctd::dbus
