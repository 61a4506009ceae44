// org.netfilter.Conntrack1.Expectations: the Table adaptor's twin over ExpectationBackend,
// without Update and Load.
#include "adaptor_support.hpp"
#include "adaptors.hpp"
#include "backends.hpp"

#include "expectations_adaptor_glue.h"

namespace ctd::dbus {

namespace {

class ExpectationsAdaptor final : public sdbus::AdaptorInterfaces<org::netfilter::Conntrack1::Expectations_adaptor> {
public:
    ExpectationsAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx, ExpectationBackend& backend)
        : AdaptorInterfaces(bus, "/org/netfilter/Conntrack1/Expectations"), ctx_(ctx), backend_(backend)
    {
        registerAdaptor();
    }
    ~ExpectationsAdaptor() { unregisterAdaptor(); }

private:
    using Map = std::map<std::string, sdbus::Variant>;

    StreamPtr openOut(const sdbus::UnixFd& out, const OutputFormat& format,
                      OutputStream::Mode mode = OutputStream::Mode::Backpressure)
    {
        return ctx_.openStream(out, {mode, lossStyleFor(format)});
    }

    void List(sdbus::Result<uint64_t>&& result, Map query, std::string format,
              sdbus::UnixFd out) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Expectations.List");
        try {
            auto args = decodeQuery(query, QueryUse::List, ctx_.labels);
            auto fmt = decodeFormat(format);
            auto stream = openOut(out, fmt);
            ctx_.authorizeThen(call, "read-table", args.text, args.interactive,
                               [this, call, args, fmt, stream] {
                                   backend_.list(args, fmt, stream, [call, stream](auto r) {
                                       replyAfterStream(call, stream, std::move(r));
                                   });
                               });
        } catch (const sdbus::Error& e) {
            call->fail(e);
        }
    }

    void Get(sdbus::Result<uint64_t>&& result, Map tuple, std::string format,
             sdbus::UnixFd out) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Expectations.Get");
        try {
            auto args = decodeExpectation(tuple, EntryUse::Get);
            auto fmt = decodeFormat(format);
            auto stream = openOut(out, fmt);
            ctx_.authorizeThen(call, "read-table", args.text, args.interactive,
                               [this, call, args, fmt, stream] {
                                   backend_.get(args, fmt, stream, [call, stream](auto r) {
                                       replyAfterStream(call, stream, std::move(r));
                                   });
                               });
        } catch (const sdbus::Error& e) {
            call->fail(e);
        }
    }

    void Create(sdbus::Result<>&& result, Map entry, std::string format,
                sdbus::UnixFd out) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Expectations.Create");
        try {
            auto args = decodeExpectation(entry, EntryUse::Create);
            auto fmt = decodeFormat(format);
            auto stream = openOut(out, fmt);
            ctx_.authorizeThen(call, "modify-entries", args.text, args.interactive,
                               [this, call, args, fmt, stream] {
                                   backend_.create(args, fmt, stream, [call, stream](ctd::Result<void> r) {
                                       if (!r) {
                                           stream->close();
                                           call->fail(r.error());
                                           return;
                                       }
                                       stream->finish([call] { call->reply(); });
                                   });
                               });
        } catch (const sdbus::Error& e) {
            call->fail(e);
        }
    }

    void Delete(sdbus::Result<uint64_t>&& result, Map query, std::string format,
                sdbus::UnixFd out) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Expectations.Delete");
        try {
            auto args = decodeQuery(query, QueryUse::Match, ctx_.labels);
            auto fmt = decodeFormat(format);
            auto stream = openOut(out, fmt);
            // An unfiltered delete empties the table: that is a flush, and needs its action.
            const char* action = args.query.empty() ? "flush-table" : "modify-entries";
            ctx_.authorizeThen(call, action, args.text, args.interactive,
                               [this, call, args, fmt, stream] {
                                   backend_.remove(args, fmt, stream, [call, stream](auto r) {
                                       replyAfterStream(call, stream, std::move(r));
                                   });
                               });
        } catch (const sdbus::Error& e) {
            call->fail(e);
        }
    }

    void Flush(sdbus::Result<uint64_t>&& result, Map query) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Expectations.Flush");
        try {
            auto args = decodeQuery(query, QueryUse::Match, ctx_.labels);
            ctx_.authorizeThen(call, "flush-table", args.text, args.interactive, [this, call, args] {
                backend_.flush(args, [call](ctd::Result<uint64_t> r) {
                    r ? call->reply(*r) : call->fail(r.error());
                });
            });
        } catch (const sdbus::Error& e) {
            call->fail(e);
        }
    }

    void CountMatching(sdbus::Result<uint64_t>&& result, Map query) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Expectations.CountMatching");
        try {
            auto args = decodeQuery(query, QueryUse::Match, ctx_.labels);
            ctx_.authorizeThen(call, "read-table", args.text, args.interactive, [this, call, args] {
                backend_.countMatching(args, [call](ctd::Result<uint64_t> r) {
                    r ? call->reply(*r) : call->fail(r.error());
                });
            });
        } catch (const sdbus::Error& e) {
            call->fail(e);
        }
    }

    void Watch(sdbus::Result<>&& result, Map query, std::string format, sdbus::UnixFd out) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Expectations.Watch");
        try {
            auto args = decodeQuery(query, QueryUse::Watch, ctx_.labels);
            auto fmt = decodeFormat(format);
            auto stream = openOut(out, fmt, OutputStream::Mode::DropWithLoss);
            ctx_.authorizeThen(call, "watch-events", args.text, args.interactive,
                               [this, call, args, fmt, stream] {
                                   auto r = backend_.watch(args, fmt, stream);
                                   if (!r) {
                                       stream->close();
                                       call->fail(r.error());
                                       return;
                                   }
                                   call->reply();
                               });
        } catch (const sdbus::Error& e) {
            call->fail(e);
        }
    }

    // Property reads are calls too: they count as activity for idle exit.
    uint64_t Count() override
    {
        ctx_.loop.touch();
        auto r = backend_.count();
        if (!r)
            throw toDbusError(r.error());
        return *r;
    }

    uint64_t Max() override
    {
        ctx_.loop.touch();
        auto r = backend_.max();
        if (!r)
            throw toDbusError(r.error());
        return *r;
    }

    AdaptorContext& ctx_;
    ExpectationBackend& backend_;
};

} // namespace

std::unique_ptr<AdaptorHandle> makeExpectationsAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                                ExpectationBackend& backend)
{
    return std::make_unique<AdaptorHolder<ExpectationsAdaptor>>(bus, ctx, backend);
}

} // namespace ctd::dbus
