// org.netfilter.Conntrack1.Table: converts bus types, authorizes, calls TableBackend.
// The table logic itself lives in core; the lead binds it through backends.hpp. What
// Table shares with Expectations is table_object.hpp's; Update and Load are its own.
#include "adaptors.hpp"
#include "table_object.hpp"

#include "table_adaptor_glue.h"

#include <fcntl.h>

namespace ctd::dbus {

namespace {

class TableAdaptor final
    : public TableObject<org::netfilter::Conntrack1::Table_adaptor, TableBackend, EntryArgs> {
public:
    TableAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx, TableBackend& backend)
        : TableObject(bus, "/org/netfilter/Conntrack1/Table", ctx, backend, "Table")
    {
        registerAdaptor();
    }
    ~TableAdaptor() { unregisterAdaptor(); }

private:
    EntryArgs decodeTuple(const Map& dict, EntryUse use) const override
    {
        return decodeEntry(dict, use, ctx_.labels);
    }

    void Update(sdbus::Result<uint64_t>&& result, Map query, Map changes, std::string format,
                sdbus::UnixFd out) override
    {
        ctx_.serve(getObject(), std::move(result), "Table.Update", [&](const auto& call) {
            auto args = decodeQuery(query, QueryUse::Match, ctx_.labels);
            auto delta = decodeChanges(changes, ctx_.labels);
            auto fmt = decodeFormat(format);
            auto stream = openOut(out, fmt);
            std::string text = args.text.empty() ? delta.text : args.text + " " + delta.text;
            return Authorized{"modify-entries", text, args.interactive || delta.interactive,
                              [this, call, args, delta, fmt, stream] {
                                  backend_.update(args, delta, fmt, stream,
                                                  replyAfterStreamOf(call, stream));
                              }};
        });
    }

    void Load(sdbus::Result<uint64_t, uint64_t>&& result, sdbus::UnixFd in, std::string format,
              Map options) override
    {
        ctx_.serve(getObject(), std::move(result), "Table.Load", [&](const auto& call) {
            auto opts = decodeOptions(options);
            if (format != "save")
                throw invalidArgument("format: Load reads only 'save' (conntrack -R), not '" +
                                      format + "'");
            int access = fcntl(in.get(), F_GETFL);
            if (access < 0 || (access & O_ACCMODE) == O_WRONLY)
                throw invalidArgument("in: not open for reading (pass the read end of the pipe)");
            auto input = std::make_shared<sdbus::UnixFd>(std::move(in));
            return Authorized{"modify-entries", {}, opts.interactive, [this, call, input] {
                                  backend_.load(input->get(), [call, input](ctd::Result<LoadCounts> r) {
                                      r ? call->reply(r->loaded, r->failed) : call->fail(r.error());
                                  });
                              }};
        });
    }
};

} // namespace

std::unique_ptr<AdaptorHandle> makeTableAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                                TableBackend& backend)
{
    return std::make_unique<AdaptorHolder<TableAdaptor>>(bus, ctx, backend);
}

} // namespace ctd::dbus
