#include "output_stream.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>

using namespace ctd::dbus;

namespace {

class OutputStreamTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        loop_ = EventLoop::create();
        ASSERT_TRUE(loop_);
        ASSERT_EQ(pipe2(pipe_, O_CLOEXEC), 0);
    }
    void TearDown() override
    {
        for (int fd : pipe_) {
            if (fd >= 0)
                close(fd);
        }
    }

    // Iterates the loop until done() or limit; returns done().
    bool runUntil(const std::function<bool()>& done, uint64_t limitUsec = 2000000)
    {
        const uint64_t end = EventLoop::now() + limitUsec;
        while (!done() && EventLoop::now() < end)
            sd_event_run(loop_->get(), 1000);
        return done();
    }

    void iterate(int times = 5)
    {
        for (int i = 0; i < times; ++i)
            sd_event_run(loop_->get(), 1000);
    }

    // Reads what is in the pipe now (read end made non-blocking by the test).
    std::string readAvailable()
    {
        fcntl(pipe_[0], F_SETFL, fcntl(pipe_[0], F_GETFL) | O_NONBLOCK);
        std::string out;
        char buf[65536];
        ssize_t n;
        while ((n = read(pipe_[0], buf, sizeof buf)) > 0)
            out.append(buf, static_cast<size_t>(n));
        return out;
    }

    std::shared_ptr<OutputStream> open(OutputStream::Options options = {})
    {
        auto stream = OutputStream::open(*loop_, pipe_[1], options);
        EXPECT_TRUE(stream.ok());
        return stream.ok() ? *stream : nullptr;
    }

    std::unique_ptr<EventLoop> loop_;
    int pipe_[2] = {-1, -1};
};

} // namespace

TEST_F(OutputStreamTest, RejectsWhatIsNotAWritablePipeOrStreamSocket)
{
    FILE* file = tmpfile();
    ASSERT_NE(file, nullptr);
    auto regular = OutputStream::open(*loop_, fileno(file), {});
    ASSERT_FALSE(regular.ok());
    EXPECT_EQ(regular.error().code, EINVAL);
    EXPECT_NE(regular.error().message.find("only pipes and stream sockets"), std::string::npos);
    fclose(file);

    auto readEnd = OutputStream::open(*loop_, pipe_[0], {});
    ASSERT_FALSE(readEnd.ok());
    EXPECT_NE(readEnd.error().message.find("not open for writing"), std::string::npos);

    int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(udp, 0);
    auto datagram = OutputStream::open(*loop_, udp, {});
    ASSERT_FALSE(datagram.ok());
    EXPECT_NE(datagram.error().message.find("stream sockets"), std::string::npos);
    close(udp);

    auto closed = OutputStream::open(*loop_, 1000, {});
    EXPECT_FALSE(closed.ok());
}

TEST_F(OutputStreamTest, CallersFdStaysBlocking)
{
    auto stream = open();
    ASSERT_TRUE(stream);
    // The stream works on its own description of the pipe when /proc is there.
    if (access("/proc/self/fd", F_OK) == 0) {
        EXPECT_EQ(fcntl(pipe_[1], F_GETFL) & O_NONBLOCK, 0);
    }
}

TEST_F(OutputStreamTest, WritesThroughAndFinishes)
{
    auto stream = open();
    ASSERT_TRUE(stream);
    EXPECT_TRUE(stream->write("hello "));
    EXPECT_TRUE(stream->write("world\n"));
    bool finished = false;
    stream->finish([&] { finished = true; });
    ASSERT_TRUE(runUntil([&] { return finished; }));
    close(pipe_[1]);
    pipe_[1] = -1;
    EXPECT_EQ(readAvailable(), "hello world\n");
    EXPECT_TRUE(stream->closed());
}

TEST_F(OutputStreamTest, FinishingStreamOutlivesItsProducer)
{
    auto stream = open();
    ASSERT_TRUE(stream);
    fcntl(pipe_[1], F_SETPIPE_SZ, 4096);
    const std::string data(200000, 'z');
    EXPECT_TRUE(stream->write(data));
    bool finished = false;
    stream->finish([&] { finished = true; });
    stream.reset(); // the producer is gone; the buffered data must still arrive
    std::string got;
    ASSERT_TRUE(runUntil([&] {
        got += readAvailable();
        return finished;
    }));
    got += readAvailable();
    EXPECT_EQ(got.size(), data.size());
}

TEST_F(OutputStreamTest, StreamSocketWorks)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    auto stream = OutputStream::open(*loop_, sv[1], {});
    ASSERT_TRUE(stream.ok());
    EXPECT_TRUE((*stream)->write("over a socket\n"));
    bool finished = false;
    (*stream)->finish([&] { finished = true; });
    ASSERT_TRUE(runUntil([&] { return finished; }));
    char buf[64] = {};
    EXPECT_EQ(read(sv[0], buf, sizeof buf), 14);
    EXPECT_STREQ(buf, "over a socket\n");
    close(sv[0]);
    close(sv[1]);
}

TEST_F(OutputStreamTest, BackpressurePausesAndResumes)
{
    auto stream = open({OutputStream::Mode::Backpressure, OutputStream::LossStyle::Text, 8192});
    ASSERT_TRUE(stream);
    fcntl(pipe_[1], F_SETPIPE_SZ, 4096);
    const std::string chunk(1000, 'x');
    size_t accepted = 0;
    bool resumed = false;
    stream->onWritable([&] { resumed = true; });
    // Produce until refused, letting the loop drain into the (unread) pipe meanwhile.
    for (int i = 0; i < 100; ++i) {
        if (!stream->write(chunk))
            break;
        accepted += chunk.size();
        iterate(1);
    }
    EXPECT_LT(accepted, 100 * chunk.size()) << "a reader that never reads must stop the producer";
    EXPECT_LE(stream->buffered(), stream->capacity());
    EXPECT_FALSE(resumed);
    std::string got;
    ASSERT_TRUE(runUntil([&] {
        got += readAvailable();
        return resumed;
    }));
    EXPECT_TRUE(stream->write(chunk));
    accepted += chunk.size();
    bool finished = false;
    stream->finish([&] { finished = true; });
    ASSERT_TRUE(runUntil([&] {
        got += readAvailable();
        return finished;
    }));
    got += readAvailable();
    EXPECT_EQ(got.size(), accepted);
}

TEST_F(OutputStreamTest, DropModeCountsLossAndWritesOneLossRecord)
{
    auto stream = open({OutputStream::Mode::DropWithLoss, OutputStream::LossStyle::Text, 4096});
    ASSERT_TRUE(stream);
    const std::string record = std::string(99, 'e') + "\n";
    for (int i = 0; i < 1000; ++i)
        stream->writeRecord(record);
    EXPECT_EQ(stream->lost(), 1000u - 40u);
    std::string got;
    ASSERT_TRUE(runUntil([&] {
        got += readAvailable();
        return stream->buffered() == 0 && got.find("lost") != std::string::npos;
    }));
    stream->writeRecord("after\n");
    bool finished = false;
    stream->finish([&] { finished = true; });
    ASSERT_TRUE(runUntil([&] {
        got += readAvailable();
        return finished;
    }));
    got += readAvailable();
    std::string expected;
    for (int i = 0; i < 40; ++i)
        expected += record;
    expected += "# ctd: lost 960 events (reader too slow)\nafter\n";
    EXPECT_EQ(got, expected);
}

TEST_F(OutputStreamTest, KernelLossRecord)
{
    auto stream = open({OutputStream::Mode::DropWithLoss, OutputStream::LossStyle::Json, 4096});
    ASSERT_TRUE(stream);
    stream->writeRecord("{\"a\":1}\n");
    stream->reportKernelLoss(5);
    bool finished = false;
    stream->finish([&] { finished = true; });
    ASSERT_TRUE(runUntil([&] { return finished; }));
    EXPECT_EQ(readAvailable(),
              "{\"a\":1}\n{\"ctd-loss\": {\"count\": 5, \"reason\": \"kernel\"}}\n");
}

TEST_F(OutputStreamTest, LossRecordStyles)
{
    EXPECT_EQ(OutputStream::lossRecord(OutputStream::LossStyle::Text, 3, false),
              "# ctd: lost 3 events (reader too slow)\n");
    EXPECT_EQ(OutputStream::lossRecord(OutputStream::LossStyle::Text, 2, true),
              "# ctd: lost 2 events (kernel buffer overrun), resynchronized\n");
    EXPECT_EQ(OutputStream::lossRecord(OutputStream::LossStyle::Json, 7, false),
              "{\"ctd-loss\": {\"count\": 7, \"reason\": \"reader\"}}\n");
    EXPECT_EQ(OutputStream::lossRecord(OutputStream::LossStyle::Xml, 1, false),
              "<!-- ctd: lost 1 events (reader too slow) -->\n");
}

TEST_F(OutputStreamTest, ClosedReaderCancelsWhileWriting)
{
    auto stream = open();
    ASSERT_TRUE(stream);
    bool cancelled = false;
    stream->onCancel([&] { cancelled = true; });
    close(pipe_[0]);
    pipe_[0] = -1;
    EXPECT_TRUE(stream->write("nobody reads this\n"));
    ASSERT_TRUE(runUntil([&] { return cancelled; }));
    EXPECT_TRUE(stream->cancelled());
    EXPECT_FALSE(stream->write("more"));
}

TEST_F(OutputStreamTest, ClosedReaderCancelsAnIdleWatcher)
{
    auto stream = open({OutputStream::Mode::DropWithLoss, OutputStream::LossStyle::Text, 4096});
    ASSERT_TRUE(stream);
    bool cancelled = false;
    stream->onCancel([&] { cancelled = true; });
    close(pipe_[0]);
    pipe_[0] = -1;
    // Nothing written: EPOLLERR on the write end alone must tell us.
    ASSERT_TRUE(runUntil([&] { return cancelled; }));
}

TEST_F(OutputStreamTest, FinishAfterReaderLeftStillCompletes)
{
    auto stream = open();
    ASSERT_TRUE(stream);
    close(pipe_[0]);
    pipe_[0] = -1;
    EXPECT_TRUE(stream->write("data\n"));
    bool finished = false;
    stream->finish([&] { finished = true; });
    ASSERT_TRUE(runUntil([&] { return finished; }));
}

TEST_F(OutputStreamTest, StreamHoldsTheLoopBusy)
{
    EXPECT_EQ(loop_->holds(), 0u);
    auto stream = open();
    EXPECT_EQ(loop_->holds(), 1u);
    stream->close();
    EXPECT_EQ(loop_->holds(), 0u);
}
