// conntrackd -i / -e text, against lines conntrackd 1.4.7 printed for the same entries.
#include "sync/engine/cache_dump.hpp"

#include <gtest/gtest.h>
#include <algorithm>
#include <string>
#include <arpa/inet.h>
#include <netinet/in.h>

namespace ctd::sync {
namespace {

Entry tcpEstablishedAssured()
{
    Entry e;
    e.family = AF_INET;
    e.orig.src.family = e.orig.dst.family = AF_INET;
    inet_pton(AF_INET, "198.18.0.1", e.orig.src.bytes.data());
    inet_pton(AF_INET, "198.18.0.2", e.orig.dst.bytes.data());
    e.orig.protocol = IPPROTO_TCP;
    e.orig.sport = 1000;
    e.orig.dport = 80;
    e.reply.src = e.orig.dst;
    e.reply.dst = e.orig.src;
    e.reply.protocol = IPPROTO_TCP;
    e.reply.sport = 80;
    e.reply.dport = 1000;
    e.status = 0x4; // ASSURED, never SEEN_REPLY
    e.timeout = 100;
    e.use = 1;
    e.mark = 0;
    e.id = 3284309746u;
    e.tcp = TcpInfo{};
    e.tcp->state = 3;
    return e;
}

std::string dump(const SyncCache& cache, CacheDumpOptions o)
{
    TextBuffer out;
    std::string text;
    auto n = dumpCache(cache, o, out, [&](TextBuffer& b) {
        text += b.str();
        b.clear();
        return true;
    });
    EXPECT_TRUE(n.ok());
    return text;
}

TEST(CacheDump, InternalLineIsConntrackdsOwn)
{
    SyncCache cache("internal", 0);
    cache.upsert(tcpEstablishedAssured(), 1000);
    CacheDumpOptions o;
    o.nowMs = 2500;
    EXPECT_EQ(dump(cache, o),
              "tcp      6 ESTABLISHED src=198.18.0.1 dst=198.18.0.2 sport=1000 dport=80 [UNREPLIED] "
              "src=198.18.0.2 dst=198.18.0.1 sport=80 dport=1000 [ASSURED] mark=0 [active since 1s]\n");
}

TEST(CacheDump, XmlLinesHaveNoDocument)
{
    SyncCache cache("internal", 0);
    cache.upsert(tcpEstablishedAssured(), 1000);
    CacheDumpOptions o;
    o.style = CacheDumpOptions::Style::ConntrackdXml;
    EXPECT_EQ(dump(cache, o),
              "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>198.18.0.1</src>"
              "<dst>198.18.0.2</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>1000</sport>"
              "<dport>80</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"2\" "
              "protoname=\"ipv4\"><src>198.18.0.2</src><dst>198.18.0.1</dst></layer3><layer4 protonum=\"6\" "
              "protoname=\"tcp\"><sport>80</sport><dport>1000</dport></layer4></meta><meta "
              "direction=\"independent\"><state>ESTABLISHED</state><mark>0</mark><id>3284309746</id>"
              "<assured/><unreplied/></meta></flow>\n");
}

TEST(CacheDump, ExternalEntriesHaveNoReplyTuple)
{
    SyncCache cache("external", 0);
    cache.upsert(tcpEstablishedAssured(), 0);
    CacheDumpOptions o;
    o.external = true;
    o.nowMs = 12000;
    EXPECT_EQ(dump(cache, o),
              "tcp      6 ESTABLISHED src=198.18.0.1 dst=198.18.0.2 sport=1000 dport=80 [UNREPLIED] "
              "[ASSURED] mark=0 [active since 12s]\n");
}

TEST(CacheDump, ExternalXmlHasAnEmptyReply)
{
    SyncCache cache("external", 0);
    Entry e = tcpEstablishedAssured();
    e.id.reset();
    e.status = 0x4 | 0x2; // ASSURED | SEEN_REPLY
    cache.upsert(e, 0);
    CacheDumpOptions o;
    o.style = CacheDumpOptions::Style::ConntrackdXml;
    o.external = true;
    // conntrackd 1.4.7 -e -x, same entry
    EXPECT_EQ(dump(cache, o),
              "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>198.18.0.1</src>"
              "<dst>198.18.0.2</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>1000</sport>"
              "<dport>80</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"0\" "
              "protoname=\"unknown\"><src></src><dst></dst></layer3><layer4 protonum=\"0\" "
              "protoname=\"unknown\"></layer4></meta><meta direction=\"independent\"><state>ESTABLISHED</state>"
              "<mark>0</mark><assured/></meta></flow>\n");
}

TEST(CacheDump, TableFormatsApplyToCachedEntries)
{
    SyncCache cache("internal", 0);
    cache.upsert(tcpEstablishedAssured(), 0);
    CacheDumpOptions o;
    o.style = CacheDumpOptions::Style::Formatted;
    o.format.extended = true;
    EXPECT_EQ(dump(cache, o).rfind("ipv4     2 tcp      6 100 ESTABLISHED ", 0), 0u);
}

Entry numbered(uint16_t port)
{
    Entry e = tcpEstablishedAssured();
    e.orig.sport = port;
    e.reply.dport = port;
    return e;
}

// A big cache goes out in several steps; what changes between them is seen as it is then.
TEST(CacheDump, CursorStepsThroughAChangingCache)
{
    SyncCache cache("internal", 0);
    for (uint16_t p = 1; p <= 3000; ++p)
        cache.upsert(numbered(p), 0);
    CacheDumpOptions o;
    o.style = CacheDumpOptions::Style::Formatted;
    const std::string whole = dump(cache, o);

    CacheDumpCursor cursor(cache, o);
    std::string text;
    int steps = 0;
    bool more = true;
    while (more) {
        more = cursor.step();
        text += cursor.buffer().str();
        cursor.buffer().clear();
        ++steps;
        if (steps == 1) {
            // Gone before their turn: left out; added after the start: not shown.
            for (uint16_t p = 1; p <= 3000; ++p)
                if (p % 2 == 0 && text.find("sport=" + std::to_string(p) + " ") == std::string::npos)
                    cache.erase(cacheKeyOf(numbered(p)));
            cache.upsert(numbered(4000), 0);
        }
    }
    EXPECT_GT(steps, 2) << "the buffer was meant to fill several times";
    EXPECT_EQ(cursor.written(), cache.size() - 1);
    EXPECT_EQ(text.find("sport=4000 "), std::string::npos);
    EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')), cache.size() - 1);
    EXPECT_EQ(static_cast<size_t>(std::count(whole.begin(), whole.end(), '\n')), 3000u);
}

} // namespace
} // namespace ctd::sync
