// The drop-in's requests as bus dictionaries (docs/dbus-api.md): one key per conntrack
// filter, with the documented type; what the bus cannot say is reported, never dropped.
#include "conntrack_bus.hpp"
#include "conntrack_cli.hpp"

#include <gtest/gtest.h>

using namespace ctd::cli;

namespace {

Request req(std::vector<std::string> args)
{
    LabelSource labels;
    labels.load = [] { return std::string(); };
    labels.bit = [](const std::string& n) -> std::optional<unsigned> {
        if (n == "web")
            return 3;
        return std::nullopt;
    };
    auto r = parseCommandLine(args, labels);
    EXPECT_TRUE(r.ok) << r.diagnostics;
    return r.request;
}

template <typename T>
T get(const Dict& d, const std::string& key)
{
    auto it = d.find(key);
    EXPECT_NE(it, d.end()) << key;
    if (it == d.end())
        return T{};
    EXPECT_EQ(it->second.peekValueType(), sdbus::signature_of<T>::str()) << key;
    return it->second.get<T>();
}

} // namespace

TEST(ConntrackBus, ListQuery)
{
    auto m = queryFor(req({"-L", "-p", "tcp", "--dport", "80", "-s", "10.0.0.7/24", "-m",
                           "0x10/0xf0", "-u", "ASSURED", "--state", "ESTABLISHED", "-w", "3"}),
                      false);
    EXPECT_EQ(m.unsupported, "");
    EXPECT_EQ(get<uint8_t>(m.dict, "protocol"), 6);
    EXPECT_EQ(get<uint16_t>(m.dict, "dport"), 80);
    EXPECT_EQ(get<std::string>(m.dict, "src"), "10.0.0.7/24");
    EXPECT_EQ(get<std::string>(m.dict, "family"), "ipv4");
    EXPECT_EQ(get<uint32_t>(m.dict, "mark"), 0x10u);
    EXPECT_EQ(get<uint32_t>(m.dict, "mark-mask"), 0xf0u);
    EXPECT_EQ(get<std::vector<std::string>>(m.dict, "status"), std::vector<std::string>{"ASSURED"});
    EXPECT_EQ(get<std::string>(m.dict, "state"), "ESTABLISHED");
    EXPECT_EQ(get<uint16_t>(m.dict, "zone"), 3);
    EXPECT_EQ(m.dict.count("sport"), 0u);
    EXPECT_EQ(m.dict.count("interactive"), 0u);
}

TEST(ConntrackBus, EmptyListAndTables)
{
    EXPECT_TRUE(queryFor(req({"-L"}), false).dict.empty());
    EXPECT_EQ(get<std::string>(queryFor(req({"-L", "dying"}), false).dict, "table"), "dying");
    EXPECT_EQ(get<bool>(queryFor(req({"-L", "-z"}), false).dict, "zero-counters"), true);
    EXPECT_EQ(get<bool>(queryFor(req({"-L"}), true).dict, "interactive"), true);
    auto ev = queryFor(req({"-E", "-e", "NEW,UPDATES"}), false);
    EXPECT_EQ(get<std::vector<std::string>>(ev.dict, "events"),
              (std::vector<std::string>{"new", "update"}));
}

TEST(ConntrackBus, NatAndLabels)
{
    auto m = queryFor(req({"-L", "--dst-nat", "192.0.2.1:80", "-l", "web"}), false);
    EXPECT_EQ(get<std::string>(m.dict, "nat"), "dnat");
    EXPECT_EQ(get<std::string>(m.dict, "nat-address"), "192.0.2.1:80");
    EXPECT_EQ(get<std::vector<std::string>>(m.dict, "labels"), std::vector<std::string>{"3"});
    auto v6 = queryFor(req({"-L", "-j", "[2001:db8::1]:443"}), false);
    EXPECT_EQ(get<std::string>(v6.dict, "nat"), "any");
    EXPECT_EQ(get<std::string>(v6.dict, "nat-address"), "[2001:db8::1]:443");
}

TEST(ConntrackBus, NegatedStatusIsStatusClear)
{
    using Words = std::vector<std::string>;
    auto neg = queryFor(req({"-D", "-u", "!ASSURED"}), false);
    EXPECT_EQ(neg.unsupported, "");
    EXPECT_EQ(neg.dict.count("status"), 0u);
    EXPECT_EQ(get<Words>(neg.dict, "status-clear"), Words{"ASSURED"});
    // UNREPLIED is conntrack's word for SEEN_REPLY not set.
    auto unreplied = queryFor(req({"-L", "-u", "UNREPLIED"}), false);
    EXPECT_EQ(get<Words>(unreplied.dict, "status-clear"), Words{"SEEN_REPLY"});
    // Set and negated flags together: set ones stay set, the rest of the mask is clear.
    auto mixed = queryFor(req({"-L", "-u", "ASSURED,!SEEN_REPLY"}), false);
    EXPECT_EQ(get<Words>(mixed.dict, "status"), Words{"ASSURED"});
    EXPECT_EQ(get<Words>(mixed.dict, "status-clear"), Words{"SEEN_REPLY"});
    auto two = queryFor(req({"-L", "-u", "ASSURED", "-u", "!SEEN_REPLY,!EXPECTED"}), false);
    EXPECT_EQ(get<Words>(two.dict, "status"), Words{"ASSURED"});
    EXPECT_EQ(get<Words>(two.dict, "status-clear"), (Words{"EXPECTED", "SEEN_REPLY"}));
    // A flag both set and negated is set (1.4.7: the mask holds it, the value too).
    auto both = queryFor(req({"-L", "-u", "ASSURED,!ASSURED"}), false);
    EXPECT_EQ(get<Words>(both.dict, "status"), Words{"ASSURED"});
    EXPECT_EQ(both.dict.count("status-clear"), 0u);
    // Plain flags keep the old mapping: no status-clear.
    EXPECT_EQ(queryFor(req({"-L", "-u", "ASSURED,SEEN_REPLY"}), false).dict.count("status-clear"), 0u);
}

TEST(ConntrackBus, SrcNatWithDstNatIsBothKeys)
{
    auto m = queryFor(req({"-L", "--src-nat", "--dst-nat"}), false);
    EXPECT_EQ(m.unsupported, "");
    EXPECT_EQ(get<std::string>(m.dict, "snat"), "");
    EXPECT_EQ(get<std::string>(m.dict, "dnat"), "");
    EXPECT_EQ(m.dict.count("nat"), 0u);
    auto a = queryFor(req({"-D", "-n", "192.0.2.1", "-g", "198.51.100.7:80"}), false);
    EXPECT_EQ(get<std::string>(a.dict, "snat"), "192.0.2.1");
    EXPECT_EQ(get<std::string>(a.dict, "dnat"), "198.51.100.7:80");
    // One side alone keeps nat/nat-address.
    EXPECT_EQ(get<std::string>(queryFor(req({"-L", "-n"}), false).dict, "nat"), "snat");
}

TEST(ConntrackBus, NonContiguousMaskIsMaskKey)
{
    auto m = queryFor(req({"-L", "-s", "10.0.0.1", "--mask-src", "255.0.255.0"}), false);
    EXPECT_EQ(m.unsupported, "");
    EXPECT_EQ(get<std::string>(m.dict, "src"), "10.0.0.1");
    EXPECT_EQ(get<std::string>(m.dict, "src-mask"), "255.0.255.0");
    auto d = queryFor(req({"-D", "-d", "2001:db8::1", "--mask-dst", "ffff::ff"}), false);
    EXPECT_EQ(get<std::string>(d.dict, "dst"), "2001:db8::1");
    EXPECT_EQ(get<std::string>(d.dict, "dst-mask"), "ffff::ff");
    // A contiguous mask is still a CIDR.
    auto c = queryFor(req({"-L", "-s", "10.0.0.1", "--mask-src", "255.255.0.0"}), false);
    EXPECT_EQ(get<std::string>(c.dict, "src"), "10.0.0.1/16");
    EXPECT_EQ(c.dict.count("src-mask"), 0u);
}

TEST(ConntrackBus, SecmarkFilter)
{
    auto m = queryFor(req({"-L", "-c", "1"}), false);
    EXPECT_EQ(m.unsupported, "");
    EXPECT_EQ(get<uint32_t>(m.dict, "secmark"), 1u);
    EXPECT_EQ(get<uint32_t>(queryFor(req({"-E", "-c", "7"}), false).dict, "secmark"), 7u);
}

TEST(ConntrackBus, UpdateSplitsFilterAndChanges)
{
    auto r = req({"-U", "-p", "tcp", "-m", "5/0xff", "-t", "30", "-u", "ASSURED",
                  "--label-add", "web"});
    auto q = queryFor(r, false);
    auto c = changesFor(r, false);
    EXPECT_EQ(q.dict.count("mark"), 0u); // -m is the new mark for -U, not a filter
    EXPECT_EQ(get<uint8_t>(q.dict, "protocol"), 6);
    EXPECT_EQ(get<uint32_t>(c.dict, "mark"), 5u);
    EXPECT_EQ(get<uint32_t>(c.dict, "mark-mask"), 0xffu);
    EXPECT_EQ(get<uint32_t>(c.dict, "timeout"), 30u);
    EXPECT_EQ(get<std::vector<std::string>>(c.dict, "labels-add"), std::vector<std::string>{"3"});
    EXPECT_TRUE(changesFor(req({"-U", "-p", "tcp"}), false).dict.empty());
    auto clear = changesFor(req({"-U", "--label-del"}), false);
    EXPECT_TRUE(get<std::vector<std::string>>(clear.dict, "labels").empty());
}

TEST(ConntrackBus, CreateEntry)
{
    auto e = entryFor(req({"-I", "-s", "10.0.0.1", "-d", "10.0.0.2", "-p", "tcp", "--sport",
                           "1", "--dport", "2", "--state", "SYN_SENT", "-t", "100", "-m", "7",
                           "-u", "ASSURED", "--dst-nat", "192.0.2.9:8080"}),
                      true, false);
    EXPECT_EQ(get<std::string>(e.dict, "src"), "10.0.0.1");
    EXPECT_EQ(get<uint16_t>(e.dict, "sport"), 1);
    EXPECT_EQ(get<uint32_t>(e.dict, "timeout"), 100u);
    EXPECT_EQ(get<std::string>(e.dict, "state"), "SYN_SENT");
    EXPECT_EQ(get<uint32_t>(e.dict, "mark"), 7u);
    EXPECT_EQ(get<std::string>(e.dict, "dnat"), "192.0.2.9:8080");
    // Only the reply tuple: conntrack derives the original one, so does the mapping.
    auto inv = entryFor(req({"-I", "-r", "10.0.0.2", "-q", "10.0.0.1", "-p", "udp",
                             "--reply-port-src", "53", "--reply-port-dst", "4000", "-t", "9"}),
                        true, false);
    EXPECT_EQ(get<std::string>(inv.dict, "src"), "10.0.0.1");
    EXPECT_EQ(get<std::string>(inv.dict, "dst"), "10.0.0.2");
    EXPECT_EQ(get<uint16_t>(inv.dict, "sport"), 4000);
    EXPECT_EQ(get<uint16_t>(inv.dict, "dport"), 53);
}

TEST(ConntrackBus, Expectations)
{
    auto x = expectationFor(req({"-I", "expect", "-s", "10.0.0.1", "-d", "10.0.0.2", "-p",
                                 "tcp", "--sport", "1", "--dport", "21", "--tuple-src",
                                 "10.0.0.1", "--tuple-dst", "10.0.0.2", "--mask-src",
                                 "255.255.255.255", "--mask-dst", "255.255.255.255",
                                 "--tuple-port-src", "1024", "--tuple-port-dst", "2000",
                                 "--mask-port-src", "65535", "--mask-port-dst", "65535",
                                 "-t", "60"}),
                            true, false);
    EXPECT_EQ(get<std::string>(x.dict, "master-src"), "10.0.0.1");
    EXPECT_EQ(get<uint16_t>(x.dict, "master-dport"), 21);
    EXPECT_EQ(get<std::string>(x.dict, "src"), "10.0.0.1");
    EXPECT_EQ(get<uint16_t>(x.dict, "sport"), 1024);
    EXPECT_EQ(get<uint16_t>(x.dict, "dport"), 2000);
    EXPECT_EQ(get<uint16_t>(x.dict, "mask-dport"), 65535);
    EXPECT_EQ(get<std::string>(x.dict, "mask-dst"), "255.255.255.255");
    EXPECT_EQ(get<uint32_t>(x.dict, "timeout"), 60u);
}

TEST(ConntrackBus, Formats)
{
    EXPECT_EQ(formatFor(req({"-L"})), "plain");
    EXPECT_EQ(formatFor(req({"-L", "-o", "ext,id"})), "extended,id");
    EXPECT_EQ(formatFor(req({"-L", "-o", "xml", "-o", "ktimestamp"})), "xml,ktimestamp");
    EXPECT_EQ(formatFor(req({"-L", "-o", "save"})), "save");
}
