// conntrack -R's loader (save_load.hpp) and the bulk creator under it, on fake transports:
// line numbers of failures from sender threads, EEXIST as "already present", file order
// for -D/-F/-I after -A lines, a socket failure stops the load.
#include "fake_transport.hpp"
#include "netlink/bulk_create.hpp"
#include "netlink/ctnl_constants.hpp"
#include "format/save_parser.hpp"
#include "netlink/save_load.hpp"

#include <gtest/gtest.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

using namespace ctd;
using namespace ctd::nl;
using namespace ctd::test;

namespace {

std::string addLine(unsigned i)
{
    // sport i % 60000 + 1 from 198.18.x.y: unique per i below 60000 * 65536.
    return "-A -t 60 -u UNSET -s 198.18." + std::to_string(i / 60000 / 256 % 256) + "." +
           std::to_string(i / 60000 % 256) + " -d 192.0.2.1 -p udp --sport " + std::to_string(i % 60000 + 1) +
           " --dport 53";
}

// What the fakes saw, in order, from every thread.
struct Journal {
    std::mutex mu;
    std::vector<std::string> events; // "A <sport>", "side <type>"
    void add(std::string e)
    {
        std::lock_guard lock(mu);
        events.push_back(std::move(e));
    }
};

struct Fixture {
    Journal journal;
    // sport -> error the kernel answers for that create
    std::map<uint16_t, int> refuse;
    std::atomic<int> opened{0};
    std::atomic<bool> breakBatches{false};
    FakeTransport side;
    std::unique_ptr<ConntrackTable> sideTable;

    Fixture()
    {
        side.outcome = [this](ByteView m) -> Result<void> {
            const auto* h = reinterpret_cast<const nlmsghdr*>(m.data());
            journal.add("side " + std::to_string(NFNL_MSG_TYPE(h->nlmsg_type)));
            return {};
        };
        sideTable = std::make_unique<ConntrackTable>(side);
    }

    TransportFactory senders()
    {
        return [this]() -> Result<std::unique_ptr<NetlinkTransport>> {
            ++opened;
            auto t = std::make_unique<FakeBatches>(*this);
            return std::unique_ptr<NetlinkTransport>(std::move(t));
        };
    }

    struct FakeBatches : FakeTransport {
        explicit FakeBatches(Fixture& f) : fixture(f)
        {
            batchOutcome = [this](ByteView m) -> std::optional<Error> {
                auto e = parseConntrack(m);
                const uint16_t sport = e ? e->orig.sport.value_or(0) : 0;
                fixture.journal.add("A " + std::to_string(sport));
                if (auto it = fixture.refuse.find(sport); it != fixture.refuse.end())
                    return makeError(it->second, "refused " + std::to_string(sport));
                return std::nullopt;
            };
        }
        Result<BatchResult> batch(ByteView messages, const BatchErrorSink& onError) override
        {
            if (fixture.breakBatches)
                return makeError(EBADF, "socket gone");
            return FakeTransport::batch(messages, onError);
        }
        Fixture& fixture;
    };

    struct Outcome {
        Result<SaveLoadReport> report = makeError(EIO, "not run");
        std::map<uint64_t, std::string> failures; // line -> why
        size_t duplicateReports = 0;
    };

    Outcome load(const std::vector<std::string>& lines, size_t senders, size_t chunkBytes = 4096)
    {
        Outcome out;
        size_t next = 0;
        SaveLoadOptions o;
        o.senders = senders;
        o.chunkBytes = chunkBytes;
        o.queueChunks = 2;
        std::atomic<int> inSink{0};
        out.report = loadSaveLines(
            [&](std::string& line, bool& tooLong) {
                if (next == lines.size())
                    return false;
                line = lines[next++];
                tooLong = line == "<too long>";
                return true;
            },
            *sideTable, this->senders(), o,
            [&](uint64_t line, const std::string& why) {
                EXPECT_EQ(inSink.fetch_add(1), 0) << "two sink calls at once";
                if (!out.failures.emplace(line, why).second)
                    ++out.duplicateReports;
                inSink.fetch_sub(1);
            });
        return out;
    }
};

} // namespace

TEST(SaveLoad, FailuresKeepTheirLineNumbersAcrossSenders)
{
    for (size_t senders : {size_t{1}, size_t{2}, size_t{3}}) {
        Fixture f;
        std::vector<std::string> lines;
        std::map<uint64_t, std::string> expected;
        uint64_t adds = 0, existing = 0;
        for (unsigned i = 0; i < 20000; ++i) {
            const uint64_t lineNo = lines.size() + 1;
            if (i % 997 == 5) {
                lines.push_back("-A -p udp -t"); // parse error
                expected[lineNo] = "option `-t' requires an argument";
            } else if (i % 1009 == 7) {
                lines.push_back(i % 2 ? "" : "# comment");
            } else if (i % 1499 == 3) {
                lines.push_back("<too long>");
                expected[lineNo] = "line too long";
            } else {
                lines.push_back(addLine(i));
                ++adds;
                const uint16_t sport = static_cast<uint16_t>(i % 60000 + 1);
                if (i % 331 == 17) {
                    f.refuse[sport] = EPERM;
                    expected[lineNo] = "refused " + std::to_string(sport);
                } else if (i % 113 == 1) {
                    f.refuse[sport] = EEXIST; // 1.4.7: "already present", no failure
                    ++existing;
                }
            }
        }
        auto out = f.load(lines, senders);
        ASSERT_TRUE(out.report.ok()) << out.report.error().message;
        EXPECT_EQ(f.opened, static_cast<int>(senders));
        EXPECT_EQ(out.failures, expected) << senders << " senders";
        EXPECT_EQ(out.duplicateReports, 0u);
        const uint64_t kernelRefused = std::count_if(f.refuse.begin(), f.refuse.end(),
                                                     [](const auto& kv) { return kv.second != EEXIST; });
        EXPECT_EQ(out.report->lines, lines.size());
        EXPECT_EQ(out.report->existing, existing);
        EXPECT_EQ(out.report->loaded, adds - kernelRefused - existing);
        EXPECT_EQ(out.report->failed, expected.size());
        // Every -A line reached a sender exactly once.
        std::multiset<std::string> sent(f.journal.events.begin(), f.journal.events.end());
        EXPECT_EQ(sent.size(), adds);
    }
}

TEST(SaveLoad, OtherCommandsRunInFileOrder)
{
    for (size_t senders : {size_t{1}, size_t{2}}) {
        Fixture f;
        std::vector<std::string> lines;
        for (unsigned i = 0; i < 3000; ++i)
            lines.push_back(addLine(i));
        lines.push_back("-D -p udp -s 198.18.0.0 -d 192.0.2.1 --sport 1 --dport 53"); // line 3001
        for (unsigned i = 3000; i < 6000; ++i)
            lines.push_back(addLine(i));
        lines.push_back("-F"); // line 6002
        lines.push_back(addLine(6000));
        lines.push_back("-I -t 1 -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2");
        auto out = f.load(lines, senders, 2048);
        ASSERT_TRUE(out.report.ok()) << out.report.error().message;
        EXPECT_TRUE(out.failures.empty());
        EXPECT_EQ(out.report->loaded, 6001u + 2 + 1);

        // Each side command comes after every create of the lines before it, and before any
        // create after it.
        const auto& ev = f.journal.events;
        std::vector<size_t> sides;
        for (size_t k = 0; k < ev.size(); ++k)
            if (ev[k].rfind("side ", 0) == 0)
                sides.push_back(k);
        ASSERT_EQ(sides.size(), 3u);
        EXPECT_EQ(ev[sides[0]], "side " + std::to_string(IPCTNL_MSG_CT_DELETE));
        EXPECT_EQ(sides[0], 3000u);
        EXPECT_EQ(sides[1], 6001u);
        EXPECT_EQ(sides[2], 6003u);
        std::set<std::string> before(ev.begin(), ev.begin() + 3000);
        for (unsigned i = 0; i < 3000; ++i)
            EXPECT_TRUE(before.count("A " + std::to_string(i % 60000 + 1))) << i;
    }
}

TEST(SaveLoad, SideCommandFailuresAreCountedWithTheirLine)
{
    Fixture f;
    f.side.outcome = [](ByteView m) -> Result<void> {
        const auto* h = reinterpret_cast<const nlmsghdr*>(m.data());
        if (NFNL_MSG_TYPE(h->nlmsg_type) == IPCTNL_MSG_CT_DELETE)
            return makeError(ENOENT, "No such file or directory");
        return {};
    };
    auto out = f.load({addLine(1), "-D -p udp -s 9.9.9.9 -d 8.8.8.8 --sport 1 --dport 2", addLine(2)}, 2);
    ASSERT_TRUE(out.report.ok());
    EXPECT_EQ(out.failures, (std::map<uint64_t, std::string>{{2, "No such file or directory"}}));
    EXPECT_EQ(out.report->loaded, 2u);
    EXPECT_EQ(out.report->failed, 1u);
}

TEST(SaveLoad, SocketFailureStopsTheLoad)
{
    Fixture f;
    f.breakBatches = true;
    std::vector<std::string> lines;
    for (unsigned i = 0; i < 50000; ++i)
        lines.push_back(addLine(i));
    auto out = f.load(lines, 2);
    ASSERT_FALSE(out.report.ok());
    EXPECT_EQ(out.report.error().message, "socket gone");
}

TEST(SaveLoad, SenderThatCannotOpenIsAnError)
{
    FakeTransport side;
    ConntrackTable table(side);
    auto r = loadSaveLines([](std::string&, bool&) { return false; }, table,
                           []() -> Result<std::unique_ptr<NetlinkTransport>> { return makeError(EMFILE, "no socket"); },
                           SaveLoadOptions{}, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, EMFILE);
}

TEST(BulkCreator, BuildFailuresAndDrain)
{
    Fixture f;
    std::vector<uint64_t> failedTags;
    BulkCreateOptions o;
    o.senders = 2;
    o.chunkBytes = 1024;
    auto c = BulkCreator::start(f.senders(), o, [&](uint64_t tag, const Error&) { failedTags.push_back(tag); });
    ASSERT_TRUE(c.ok());
    for (uint64_t i = 0; i < 500; ++i) {
        auto parsed = parseSaveLine(addLine(static_cast<unsigned>(i)));
        ASSERT_TRUE(parsed.ok() && *parsed);
        Entry e = (*parsed)->entry;
        if (i == 42)
            e.orig.dport.reset(); // the builder refuses it; nothing is sent
        ASSERT_TRUE((*c)->add(e, 1000 + i).ok());
        if (i == 250) {
            ASSERT_TRUE((*c)->drain().ok());
            std::lock_guard lock(f.journal.mu);
            EXPECT_EQ(f.journal.events.size(), 250u); // 0..250 less the refused one
        }
    }
    auto r = (*c)->finish();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->done, 499u);
    EXPECT_EQ(r->failed, 1u);
    EXPECT_EQ(failedTags, std::vector<uint64_t>{1042});
}
