#include "fake_transport.hpp"
#include "golden.hpp"
#include "netlink/ctnl_constants.hpp"
#include "netlink/event_listener.hpp"

#include <gtest/gtest.h>

using namespace ctd;
using namespace ctd::nl;
using namespace ctd::test;

namespace {

struct Recorder : EventSink {
    std::vector<EventType> types;
    std::vector<uint64_t> losses;
    size_t expectations = 0;
    size_t malformed = 0;
    void conntrackEvent(EventType t, const Entry&) override { types.push_back(t); }
    void expectationEvent(EventType, const Expectation&) override { ++expectations; }
    void eventsLost(uint64_t n) override { losses.push_back(n); }
    void malformedEvent(const Error&) override { ++malformed; }
};

} // namespace

TEST(EventListener, DecodesRecordedEventsAndReportsLoss)
{
    FakeTransport fake;
    fake.events.push_back(goldenMessages("events.bin"));
    fake.events.push_back(goldenMessages("exp-ftp.bin"));
    fake.eventOverruns = {false, true};
    EventListener listener(fake);
    ASSERT_TRUE(listener.subscribe(EventGroup::CtAll | EventGroup::ExpNew).ok());
    EXPECT_EQ(fake.groups, uint32_t(EventGroup::CtAll | EventGroup::ExpNew));
    Recorder rec;
    auto n = listener.process(rec);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 3u);
    EXPECT_EQ(rec.types, (std::vector<EventType>{EventType::New, EventType::Update, EventType::Destroy}));
    EXPECT_TRUE(rec.losses.empty());
    n = listener.process(rec);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(rec.expectations, 1u);
    EXPECT_EQ(rec.losses, (std::vector<uint64_t>{1}));
    EXPECT_EQ(listener.lossCount(), 1u);
}

TEST(EventListener, MalformedEventsAreCounted)
{
    FakeTransport fake;
    auto msgs = goldenMessages("events.bin");
    msgs[0].resize(msgs[0].size() - 2);
    uint32_t len = uint32_t(msgs[0].size());
    std::memcpy(msgs[0].data(), &len, 4);
    fake.events.push_back(msgs);
    EventListener listener(fake);
    Recorder rec;
    auto n = listener.process(rec);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 2u);
    EXPECT_EQ(rec.malformed, 1u);
    EXPECT_EQ(listener.malformedCount(), 1u);
}
