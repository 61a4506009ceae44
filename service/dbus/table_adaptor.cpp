// org.netfilter.Conntrack1.Table: converts bus types, authorizes, calls TableBackend.
// The table logic itself lives in core; the lead binds it through backends.hpp.
#include "adaptor_support.hpp"
#include "adaptors.hpp"
#include "backends.hpp"

#include "table_adaptor_glue.h"

#include <fcntl.h>

namespace ctd::dbus {

namespace {

class TableAdaptor final : public sdbus::AdaptorInterfaces<org::netfilter::Conntrack1::Table_adaptor> {
public:
    TableAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx, TableBackend& backend)
        : AdaptorInterfaces(bus, "/org/netfilter/Conntrack1/Table"), ctx_(ctx), backend_(backend)
    {
        registerAdaptor();
    }
    ~TableAdaptor() { unregisterAdaptor(); }

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
        auto call = ctx_.begin(getObject(), std::move(result), "Table.List");
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
        auto call = ctx_.begin(getObject(), std::move(result), "Table.Get");
        try {
            auto args = decodeEntry(tuple, EntryUse::Get, ctx_.labels);
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
        auto call = ctx_.begin(getObject(), std::move(result), "Table.Create");
        try {
            auto args = decodeEntry(entry, EntryUse::Create, ctx_.labels);
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

    void Update(sdbus::Result<uint64_t>&& result, Map query, Map changes, std::string format,
                sdbus::UnixFd out) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Table.Update");
        try {
            auto args = decodeQuery(query, QueryUse::Match, ctx_.labels);
            auto delta = decodeChanges(changes, ctx_.labels);
            auto fmt = decodeFormat(format);
            auto stream = openOut(out, fmt);
            std::string text = args.text.empty() ? delta.text : args.text + " " + delta.text;
            ctx_.authorizeThen(call, "modify-entries", text, args.interactive || delta.interactive,
                               [this, call, args, delta, fmt, stream] {
                                   backend_.update(args, delta, fmt, stream, [call, stream](auto r) {
                                       replyAfterStream(call, stream, std::move(r));
                                   });
                               });
        } catch (const sdbus::Error& e) {
            call->fail(e);
        }
    }

    void Delete(sdbus::Result<uint64_t>&& result, Map query, std::string format,
                sdbus::UnixFd out) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Table.Delete");
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
        auto call = ctx_.begin(getObject(), std::move(result), "Table.Flush");
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
        auto call = ctx_.begin(getObject(), std::move(result), "Table.CountMatching");
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

    void Load(sdbus::Result<uint64_t, uint64_t>&& result, sdbus::UnixFd in, std::string format,
              Map options) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Table.Load");
        try {
            auto opts = decodeOptions(options);
            if (format != "save")
                throw invalidArgument("format: Load reads only 'save' (conntrack -R), not '" +
                                      format + "'");
            int access = fcntl(in.get(), F_GETFL);
            if (access < 0 || (access & O_ACCMODE) == O_WRONLY)
                throw invalidArgument("in: not open for reading (pass the read end of the pipe)");
            auto input = std::make_shared<sdbus::UnixFd>(std::move(in));
            ctx_.authorizeThen(call, "modify-entries", {}, opts.interactive, [this, call, input] {
                backend_.load(input->get(), [call, input](ctd::Result<LoadCounts> r) {
                    r ? call->reply(r->loaded, r->failed) : call->fail(r.error());
                });
            });
        } catch (const sdbus::Error& e) {
            call->fail(e);
        }
    }

    void Watch(sdbus::Result<>&& result, Map query, std::string format, sdbus::UnixFd out) override
    {
        auto call = ctx_.begin(getObject(), std::move(result), "Table.Watch");
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
    TableBackend& backend_;
};

} // namespace

std::unique_ptr<AdaptorHandle> makeTableAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                                TableBackend& backend)
{
    return std::make_unique<AdaptorHolder<TableAdaptor>>(bus, ctx, backend);
}

} // namespace ctd::dbus
