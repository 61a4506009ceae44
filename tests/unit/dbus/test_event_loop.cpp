#include "event_loop.hpp"

#include <gtest/gtest.h>

using namespace ctd::dbus;

namespace {

// Runs the loop until it exits or limitUsec passes; returns the exit code or -1.
int runFor(EventLoop& loop, uint64_t limitUsec)
{
    const uint64_t end = EventLoop::now() + limitUsec;
    while (EventLoop::now() < end) {
        int r = sd_event_run(loop.get(), 10000);
        if (r < 0)
            return -1;
        if (sd_event_get_state(loop.get()) == SD_EVENT_FINISHED) {
            int code = -1;
            sd_event_get_exit_code(loop.get(), &code);
            return code;
        }
    }
    return -1;
}

} // namespace

TEST(EventLoop, IdleExitAfterTimeout)
{
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    bool idle = false;
    loop->setIdleExit(100000, [] { return true; }, [&] {
        idle = true;
        loop->exit(0);
    });
    const uint64_t start = EventLoop::now();
    EXPECT_EQ(runFor(*loop, 2000000), 0);
    EXPECT_TRUE(idle);
    EXPECT_GE(EventLoop::now() - start, 100000u);
}

TEST(EventLoop, HoldPostponesIdleExit)
{
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    bool idle = false;
    loop->setIdleExit(50000, [] { return true; }, [&] {
        idle = true;
        loop->exit(0);
    });
    auto hold = loop->hold();
    EXPECT_EQ(runFor(*loop, 300000), -1);
    EXPECT_FALSE(idle);
    hold.release();
    EXPECT_EQ(runFor(*loop, 2000000), 0);
    EXPECT_TRUE(idle);
}

TEST(EventLoop, MayExitVetoesIdleExit)
{
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    bool idle = false;
    loop->setIdleExit(50000, [] { return false; }, [&] { idle = true; });
    EXPECT_EQ(runFor(*loop, 300000), -1);
    EXPECT_FALSE(idle);
}

TEST(EventLoop, ZeroTimeoutNeverExits)
{
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    bool idle = false;
    loop->setIdleExit(0, [] { return true; }, [&] { idle = true; });
    EXPECT_EQ(runFor(*loop, 200000), -1);
    EXPECT_FALSE(idle);
}

TEST(EventLoop, PostRunsOnNextIteration)
{
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    int ran = 0;
    loop->post([&] {
        ++ran;
        loop->exit(7);
    });
    EXPECT_EQ(ran, 0);
    EXPECT_EQ(runFor(*loop, 1000000), 7);
    EXPECT_EQ(ran, 1);
}
