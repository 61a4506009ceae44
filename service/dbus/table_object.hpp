// The bus object both org.netfilter.Conntrack1.Table and .Expectations are: Expectations
// mirrors Table without Update and Load (docs/dbus-api.md "Table methods"), so the methods
// they share are written once here over either backend. Each converts bus types, picks the
// polkit action and calls the backend through AdaptorContext::serve. Glue is the
// sdbus-c++ generated adaptor; Args what the subclass's decodeTuple makes of a Get or
// Create dictionary (EntryArgs or ExpectationArgs). The final class registers and
// unregisters the object, so no call reaches a half-built or half-destroyed one.
#pragma once

#include "adaptor_support.hpp"
#include "backends.hpp"

#include <sdbus-c++/sdbus-c++.h>

#include <map>
#include <string>

namespace ctd::dbus {

template <typename Glue, typename Backend, typename Args>
class TableObject : public sdbus::AdaptorInterfaces<Glue> {
protected:
    using Map = std::map<std::string, sdbus::Variant>;

    // interface: "Table" or "Expectations", the prefix of the method names in logs and
    // polkit details.
    TableObject(sdbus::IConnection& bus, std::string path, AdaptorContext& ctx, Backend& backend,
                std::string interface)
        : sdbus::AdaptorInterfaces<Glue>(bus, std::move(path)), ctx_(ctx), backend_(backend),
          interface_(std::move(interface))
    {
    }

    virtual Args decodeTuple(const Map& dict, EntryUse use) const = 0;
    // What this table cannot match must be refused, never ignored: an ignored key would
    // widen a Delete or Flush. Throws InvalidArgument naming the key.
    virtual void checkQuery(const QueryArgs&) const {}

    std::string method(const char* name) const { return interface_ + "." + name; }

    StreamPtr openOut(const sdbus::UnixFd& out, const OutputFormat& format,
                      OutputStream::Mode mode = OutputStream::Mode::Backpressure)
    {
        return ctx_.openStream(out, {mode, lossStyleFor(format)});
    }

    void List(sdbus::Result<uint64_t>&& result, Map query, std::string format,
              sdbus::UnixFd out) override
    {
        ctx_.serve(this->getObject(), std::move(result), method("List"), [&](const auto& call) {
            auto args = decodeQuery(query, QueryUse::List, ctx_.labels);
            checkQuery(args);
            auto fmt = decodeFormat(format);
            auto stream = openOut(out, fmt);
            return Authorized{"read-table", args.text, args.interactive, [this, call, args, fmt, stream] {
                                  backend_.list(args, fmt, stream, replyAfterStreamOf(call, stream));
                              }};
        });
    }

    void Get(sdbus::Result<uint64_t>&& result, Map tuple, std::string format,
             sdbus::UnixFd out) override
    {
        ctx_.serve(this->getObject(), std::move(result), method("Get"), [&](const auto& call) {
            auto args = decodeTuple(tuple, EntryUse::Get);
            auto fmt = decodeFormat(format);
            auto stream = openOut(out, fmt);
            return Authorized{"read-table", args.text, args.interactive, [this, call, args, fmt, stream] {
                                  backend_.get(args, fmt, stream, replyAfterStreamOf(call, stream));
                              }};
        });
    }

    void Create(sdbus::Result<>&& result, Map entry, std::string format, sdbus::UnixFd out) override
    {
        ctx_.serve(this->getObject(), std::move(result), method("Create"), [&](const auto& call) {
            auto args = decodeTuple(entry, EntryUse::Create);
            auto fmt = decodeFormat(format);
            auto stream = openOut(out, fmt);
            return Authorized{"modify-entries", args.text, args.interactive, [this, call, args, fmt, stream] {
                                  backend_.create(args, fmt, stream, replyAfterStreamOf(call, stream));
                              }};
        });
    }

    void Delete(sdbus::Result<uint64_t>&& result, Map query, std::string format,
                sdbus::UnixFd out) override
    {
        ctx_.serve(this->getObject(), std::move(result), method("Delete"), [&](const auto& call) {
            auto args = decodeQuery(query, QueryUse::Match, ctx_.labels);
            checkQuery(args);
            auto fmt = decodeFormat(format);
            auto stream = openOut(out, fmt);
            // An unfiltered delete empties the table: that is a flush, and needs its action.
            const char* action = args.query.empty() ? "flush-table" : "modify-entries";
            return Authorized{action, args.text, args.interactive, [this, call, args, fmt, stream] {
                                  backend_.remove(args, fmt, stream, replyAfterStreamOf(call, stream));
                              }};
        });
    }

    void Flush(sdbus::Result<uint64_t>&& result, Map query) override
    {
        ctx_.serve(this->getObject(), std::move(result), method("Flush"), [&](const auto& call) {
            auto args = decodeQuery(query, QueryUse::Match, ctx_.labels);
            checkQuery(args);
            return Authorized{"flush-table", args.text, args.interactive,
                              [this, call, args] { backend_.flush(args, replyOf(call)); }};
        });
    }

    void CountMatching(sdbus::Result<uint64_t>&& result, Map query) override
    {
        ctx_.serve(this->getObject(), std::move(result), method("CountMatching"), [&](const auto& call) {
            auto args = decodeQuery(query, QueryUse::Match, ctx_.labels);
            checkQuery(args);
            return Authorized{"read-table", args.text, args.interactive,
                              [this, call, args] { backend_.countMatching(args, replyOf(call)); }};
        });
    }

    void Watch(sdbus::Result<>&& result, Map query, std::string format, sdbus::UnixFd out) override
    {
        ctx_.serve(this->getObject(), std::move(result), method("Watch"), [&](const auto& call) {
            auto args = decodeQuery(query, QueryUse::Watch, ctx_.labels);
            checkQuery(args);
            auto fmt = decodeFormat(format);
            auto stream = openOut(out, fmt, OutputStream::Mode::DropWithLoss);
            return Authorized{"watch-events", args.text, args.interactive, [this, call, args, fmt, stream] {
                                  replyWatch(call, stream, backend_.watch(args, fmt, stream));
                              }};
        });
    }

    // Property reads are calls too: they count as activity for idle exit.
    uint64_t Count() override
    {
        return property([this] { return backend_.count(); });
    }

    uint64_t Max() override
    {
        return property([this] { return backend_.max(); });
    }

    AdaptorContext& ctx_;
    Backend& backend_;

private:
    template <typename Read>
    uint64_t property(Read read)
    {
        ctx_.loop.touch();
        ctd::Result<uint64_t> r = read();
        if (!r)
            throw toDbusError(r.error());
        return *r;
    }

    std::string interface_;
};

} // namespace ctd::dbus
