// org.netfilter.Conntrack1.Caches at /org/netfilter/Conntrack1/Caches: conntrackd's client
// commands onto the running sync engine (service/sync). Validate, authorize, act; the
// engine's work is on the loop except commit and the timer reset, which the runtime runs
// on its worker and answers from the loop.
#include "adaptor_support.hpp"
#include "adaptors.hpp"
#include "format_options.hpp"

#include "caches_adaptor_glue.h"
#include "sync_runtime.hpp"
#include "sync_statistics.hpp"
#include "sync/engine/cache_dump.hpp"

#include <cerrno>

namespace ctd::dbus {

namespace {

using Report = std::map<std::string, uint64_t>;

struct Which {
    bool internal = true;
    bool external = true;
    bool expectations = false; // ":expect": the expectation caches (not synced yet: empty)
};

// "internal", "external", optionally ":ct" / ":expect"; "" only where allowEmpty.
Which decodeWhich(const std::string& text, bool allowEmpty, bool externalOnly)
{
    Which w;
    std::string cache = text, kind = "ct";
    if (auto colon = text.find(':'); colon != std::string::npos) {
        cache = text.substr(0, colon);
        kind = text.substr(colon + 1);
    }
    if (kind != "ct" && kind != "expect")
        throw invalidArgument("which: '" + text + "': the kind after ':' is ct or expect");
    w.expectations = kind == "expect";
    if (cache == "internal" && !externalOnly)
        w.external = false;
    else if (cache == "external")
        w.internal = false;
    else if (!(cache.empty() && allowEmpty))
        throw invalidArgument("which: '" + text + "' is not " +
                              (externalOnly ? std::string("external[:ct|:expect]")
                                            : std::string("internal or external[:ct|:expect]")));
    return w;
}

Report reportOf(const sync::CommitReport& r)
{
    return {{"created", r.created}, {"existed", r.existed}, {"failed", r.failed}};
}

sdbus::Variant toVariant(const sync::StatValue& v)
{
    if (auto* n = std::get_if<uint64_t>(&v))
        return sdbus::Variant(*n);
    if (auto* s = std::get_if<std::string>(&v))
        return sdbus::Variant(*s);
    return sdbus::Variant(std::get<std::vector<std::string>>(v));
}

// Writes chunks into the stream with its backpressure, then answers with count.
// Caches.Dump's output: the cursor makes the next stretch of text whenever the pipe
// takes more, so the engine runs on between stretches and nothing waits in memory.
class DumpWriter : public std::enable_shared_from_this<DumpWriter> {
public:
    DumpWriter(std::unique_ptr<sync::CacheDumpCursor> cursor, std::shared_ptr<OutputStream> out,
               CallPtr<uint64_t> call, bool discard)
        : cursor_(std::move(cursor)), out_(std::move(out)), call_(std::move(call)), discard_(discard)
    {
    }
    void run()
    {
        auto self = shared_from_this();
        out_->onWritable([self] { self->run(); });
        TextBuffer& text = cursor_->buffer();
        while (!out_->cancelled()) {
            if (!text.empty() && !discard_ && !out_->write(text.view()))
                return; // the same text again from onWritable
            text.clear();
            if (!more_)
                break;
            more_ = cursor_->step();
        }
        out_->onWritable(nullptr);
        const uint64_t count = cursor_->written();
        auto call = call_;
        out_->finish([call, count] { call->reply(count); });
    }

private:
    std::unique_ptr<sync::CacheDumpCursor> cursor_;
    std::shared_ptr<OutputStream> out_;
    CallPtr<uint64_t> call_;
    bool discard_; // a format that writes nothing: only the count
    bool more_ = true;
};

class CachesAdaptor final : public sdbus::AdaptorInterfaces<org::netfilter::Conntrack1::Caches_adaptor> {
public:
    CachesAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx, sync::SyncRuntime& rt)
        : AdaptorInterfaces(bus, "/org/netfilter/Conntrack1/Caches"), ctx_(ctx), rt_(rt)
    {
        registerAdaptor();
    }
    ~CachesAdaptor() { unregisterAdaptor(); }

private:
    Authorized control(const VariantMap& options, std::string details, std::function<void()> act)
    {
        return Authorized{"control-sync", std::move(details), decodeOptions(options).interactive, std::move(act)};
    }

    void Commit(sdbus::Result<Report>&& result, std::string which, VariantMap options) override
    {
        ctx_.serve(getObject(), std::move(result), "Caches.Commit", [&](const CallPtr<Report>& call) {
            Which w = decodeWhich(which, true, true);
            return control(options, which, [this, call, w] {
                auto answer = [call](ctd::Result<sync::CommitReport> r) {
                    r ? call->reply(reportOf(*r)) : call->fail(r.error());
                };
                if (!w.expectations)
                    rt_.commit(answer);
                else if (rt_.engine().settings().expectationSync)
                    rt_.commitExpectations(answer);
                else
                    call->reply(reportOf({})); // nothing to commit, as conntrackd
            });
        });
    }

    void Flush(sdbus::Result<>&& result, std::string which, VariantMap options) override
    {
        ctx_.serve(getObject(), std::move(result), "Caches.Flush", [&](const CallPtr<>& call) {
            Which w = decodeWhich(which, true, false);
            return control(options, which, [this, call, w] {
                if (w.internal)
                    rt_.flushCache(false, w.expectations);
                if (w.external)
                    rt_.flushCache(true, w.expectations);
                call->reply();
            });
        });
    }

    void ResyncFromKernel(sdbus::Result<>&& result, VariantMap options) override
    {
        ctx_.serve(getObject(), std::move(result), "Caches.ResyncFromKernel", [&](const CallPtr<>& call) {
            return control(options, {}, [this, call] {
                auto r = rt_.resyncFromKernel();
                r ? call->reply() : call->fail(r.error());
            });
        });
    }

    void RequestResync(sdbus::Result<>&& result, VariantMap options) override
    {
        ctx_.serve(getObject(), std::move(result), "Caches.RequestResync", [&](const CallPtr<>& call) {
            return control(options, {}, [this, call] {
                rt_.requestResync();
                call->reply();
            });
        });
    }

    void SendBulk(sdbus::Result<>&& result, VariantMap options) override
    {
        ctx_.serve(getObject(), std::move(result), "Caches.SendBulk", [&](const CallPtr<>& call) {
            return control(options, {}, [this, call] {
                rt_.sendBulk();
                call->reply();
            });
        });
    }

    void ResetKernelTimers(sdbus::Result<uint64_t>&& result, VariantMap options) override
    {
        ctx_.serve(getObject(), std::move(result), "Caches.ResetKernelTimers", [&](const CallPtr<uint64_t>& call) {
            return control(options, {}, [this, call] { rt_.resetKernelTimers(replyOf(call)); });
        });
    }

    void SetRole(sdbus::Result<Report>&& result, std::string role, VariantMap options) override
    {
        ctx_.serve(getObject(), std::move(result), "Caches.SetRole", [&](const CallPtr<Report>& call) {
            if (role != "primary" && role != "backup")
                throw invalidArgument("role: '" + role + "' is not primary or backup");
            return control(options, role, [this, call, role] {
                if (role == "backup") {
                    rt_.requestResync();
                    setRole(role);
                    call->reply({});
                    return;
                }
                // keepalived's primary-backup.sh, in one call: the kernel gets the
                // peer's connections before the VIP moves, then the caches start over
                // from this node's own table.
                rt_.commit([this, call, role](ctd::Result<sync::CommitReport> r) {
                    if (!r) {
                        call->fail(r.error());
                        return;
                    }
                    auto finish = [this, call, role, report = reportOf(*r)] {
                        rt_.flushCache(true);
                        rt_.flushCache(true, true);
                        (void)rt_.resyncFromKernel();
                        rt_.sendBulk();
                        setRole(role);
                        call->reply(report);
                    };
                    if (!rt_.engine().settings().expectationSync) {
                        finish();
                        return;
                    }
                    // Expectations after their masters, which the commit just created.
                    rt_.commitExpectations([finish](ctd::Result<sync::CommitReport>) { finish(); });
                });
            });
        });
    }

    void Dump(sdbus::Result<uint64_t>&& result, std::string which, std::string format, sdbus::UnixFd fd,
              VariantMap options) override
    {
        ctx_.serve(getObject(), std::move(result), "Caches.Dump", [&](const CallPtr<uint64_t>& call) {
            Which w = decodeWhich(which, false, false);
            sync::CacheDumpOptions dump;
            dump.external = !w.internal;
            dump.alarmMode = rt_.engine().settings().mode == sync::SyncMode::Alarm;
            bool nothing = false;
            if (format == "conntrackd")
                dump.style = sync::CacheDumpOptions::Style::Conntrackd;
            else if (format == "conntrackd-xml")
                dump.style = sync::CacheDumpOptions::Style::ConntrackdXml;
            else {
                OutputFormat f = decodeFormat(format);
                nothing = f.writesNothing();
                dump.style = sync::CacheDumpOptions::Style::Formatted;
                dump.format = toFormatOptions(f);
            }
            auto out = ctx_.openStream(fd, {});
            const bool interactive = decodeOptions(options).interactive;
            return Authorized{"read-table", which, interactive, [this, call, out, dump, w, nothing]() mutable {
                dump.nowMs = sync::SyncRuntime::nowMs();
                const sync::SyncEngine& engine = rt_.engine();
                auto cursor = w.expectations
                                  ? std::make_unique<sync::CacheDumpCursor>(
                                        w.internal ? engine.internalExpectations() : engine.externalExpectations(), dump)
                                  : std::make_unique<sync::CacheDumpCursor>(
                                        w.internal ? engine.internalCache() : engine.externalCache(), dump);
                std::make_shared<DumpWriter>(std::move(cursor), out, call, nothing)->run();
            }};
        });
    }

    void GetStatistics(sdbus::Result<VariantMap>&& result, std::string category) override
    {
        ctx_.serve(getObject(), std::move(result), "Caches.GetStatistics", [&](const CallPtr<VariantMap>& call) {
            static const char* known[] = {"", "network", "cache", "runtime", "link", "rsqueue", "queue", "ct", "expect"};
            if (std::find(std::begin(known), std::end(known), category) == std::end(known))
                throw invalidArgument("category: '" + category +
                                      "' is not one of network, cache, runtime, link, rsqueue, queue, ct, expect");
            return Authorized{"read-stats", category, false, [this, call, category] {
                auto stats = sync::collectStatistics(rt_, category);
                if (!stats) {
                    call->fail(stats.error());
                    return;
                }
                VariantMap out;
                for (const auto& [key, value] : *stats)
                    out.emplace(key, toVariant(value));
                call->reply(out);
            }};
        });
    }

    std::string Mode() override { return sync::modeName(rt_.engine().settings().mode); }
    std::string Role() override { return role_; }
    uint64_t InternalCount() override { return rt_.engine().internalCache().size(); }
    uint64_t ExternalCount() override { return rt_.engine().externalCache().size(); }

    void setRole(const std::string& role)
    {
        if (role == role_)
            return;
        role_ = role;
        try {
            getObject().emitPropertiesChangedSignal(INTERFACE_NAME, {"Role"});
        } catch (const sdbus::Error& e) {
            log::warning("Role PropertiesChanged: " + e.getMessage());
        }
    }

    AdaptorContext& ctx_;
    sync::SyncRuntime& rt_;
    std::string role_;
};

} // namespace

std::unique_ptr<AdaptorHandle> makeCachesAdaptor(sdbus::IConnection& bus, AdaptorContext& ctx,
                                                 sync::SyncRuntime& runtime)
{
    return std::make_unique<AdaptorHolder<CachesAdaptor>>(bus, ctx, runtime);
}

} // namespace ctd::dbus
