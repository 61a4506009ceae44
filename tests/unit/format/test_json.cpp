// The JSON lines (docs/json.md), validated with nlohmann::json.
#include "builders.hpp"
#include "format/formatter.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace ctd;
using namespace ctd::test;
using nlohmann::json;

TEST(Json, ConntrackEntry)
{
    Entry e = portEntry(6, "2001:db8::1", "2001:db8::2", 1000, 80);
    e.tcp.emplace();
    e.tcp->state = 3;
    e.tcp->wscaleOrig = 7;
    e.tcp->flagsOrig = TcpFlags{0x2, 0x2};
    e.status = 0xe;
    e.timeout = 120;
    e.mark = 1;
    e.secctx = "quote\" back\\ nl\n ctl\x01 hi\xff";
    e.helper = "ftp";
    e.countersOrig = Counters{1, 2};
    e.timestamps = Timestamps{5, 6};
    e.id = 42;
    setLabelBit(e.labels, 2);
    e.master = e.orig;
    e.seqAdjOrig = SeqAdjust{1, 2, 3};
    e.synproxy = Synproxy{4, 5, 6};
    auto map = LabelMap::parse("2 two\n");
    const std::string line = formatEntry(e, *parseFormatSpec("json"), Command::List, &*map);
    ASSERT_EQ(line.back(), '\n');
    ASSERT_EQ(line.find('\n'), line.size() - 1);
    json j = json::parse(line);
    EXPECT_EQ(j["version"], 1);
    EXPECT_EQ(j["object"], "conntrack");
    EXPECT_EQ(j["family"], "ipv6");
    EXPECT_EQ(j["tuple-orig"]["src"], "2001:db8::1");
    EXPECT_EQ(j["tuple-orig"]["proto-num"], 6);
    EXPECT_EQ(j["tuple-orig"]["proto-name"], "tcp");
    EXPECT_EQ(j["tuple-reply"]["proto-src-port"], 80);
    EXPECT_EQ(j["status"], 14);
    EXPECT_EQ(j["status-names"], json({"SEEN_REPLY", "ASSURED", "CONFIRMED"}));
    EXPECT_EQ(j["secctx"], "quote\" back\\ nl\n ctl\x01 hi\xc3\xbf");
    EXPECT_EQ(j["protoinfo-tcp"]["state"], "ESTABLISHED");
    EXPECT_EQ(j["protoinfo-tcp"]["flags-original"]["flags"], 2);
    EXPECT_EQ(j["counters-orig"]["bytes"], 2);
    EXPECT_EQ(j["timestamp"]["stop"], 6);
    EXPECT_EQ(j["labels"], json({2}));
    EXPECT_EQ(j["label-names"], json({"two"}));
    EXPECT_EQ(j["seq-adj-orig"]["offset-after"], 3);
    EXPECT_EQ(j["synproxy"]["tsoff"], 6);
    EXPECT_FALSE(j.contains("event"));
}

TEST(Json, EventsAndExpectations)
{
    TextBuffer out;
    Formatter fmt(*parseFormatSpec("json"), Command::Events, out);
    EventInfo info;
    info.type = EventType::Destroy;
    info.portid = 77;
    info.progname = "conntrack";
    info.sec = 1700000000;
    info.usec = 5;
    fmt.event(icmpEntry("10.0.0.1", "10.0.0.2", 8, 0, 1, 0), info);
    Expectation x;
    x.family = 2;
    x.master = portEntry(6, "1.1.1.1", "2.2.2.2", 1, 21).orig;
    x.tuple = portEntry(6, "1.1.1.1", "2.2.2.2", 0, 5000).orig;
    x.mask = x.tuple;
    x.flags = 5;
    x.nat = ExpectationNat{1, x.tuple};
    fmt.expectationEvent(x, info);
    fmt.end();
    std::string text = out.str();
    size_t nl = text.find('\n');
    json a = json::parse(text.substr(0, nl));
    json b = json::parse(text.substr(nl + 1));
    EXPECT_EQ(a["event"], "destroy");
    EXPECT_EQ(a["event-time"]["usec"], 5);
    EXPECT_EQ(a["portid"], 77);
    EXPECT_EQ(a["progname"], "conntrack");
    EXPECT_EQ(a["tuple-reply"]["proto-icmp-type"], 0);
    EXPECT_EQ(b["object"], "expect");
    EXPECT_EQ(b["flag-names"], json({"PERMANENT", "USERSPACE"}));
    EXPECT_EQ(b["nat"]["tuple"]["proto-dst-port"], 5000);
}

TEST(Json, RandomEntriesAreValidJson)
{
    auto opts = *parseFormatSpec("json");
    for (uint64_t seed = 0; seed < 2000; ++seed) {
        Entry e = randomEntry(seed);
        if (seed % 3 == 0)
            e.helper = std::string(1, static_cast<char>(seed & 0xff));
        const std::string line = formatEntry(e, opts);
        ASSERT_TRUE(json::accept(line)) << line;
    }
}

TEST(Json, DocumentedExampleIsCurrent)
{
    // The example in docs/json.md.
    Entry e = portEntry(6, "192.0.2.1", "198.18.0.2", 1, 2);
    e.tcp.emplace();
    e.tcp->state = 3;
    e.timeout = 99;
    e.status = 12;
    e.mark = 5;
    e.use = 1;
    e.id = 885042694;
    EXPECT_EQ(formatEntry(e, *parseFormatSpec("json")),
              R"({"version":1,"object":"conntrack","family":"ipv4","family-num":2,"tuple-orig":{"src":"192.0.2.1","dst":"198.18.0.2","proto-num":6,"proto-name":"tcp","proto-src-port":1,"proto-dst-port":2},"tuple-reply":{"src":"198.18.0.2","dst":"192.0.2.1","proto-num":6,"proto-name":"tcp","proto-src-port":2,"proto-dst-port":1},"status":12,"status-names":["ASSURED","CONFIRMED"],"timeout":99,"mark":5,"use":1,"id":885042694,"protoinfo-tcp":{"state":"ESTABLISHED","state-num":3}})"
              "\n");
}
