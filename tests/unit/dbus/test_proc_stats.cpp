#include "backends.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace ctd::dbus;
namespace fs = std::filesystem;

namespace {

class ProcStatsTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char dir[] = "/tmp/ctd-proc-XXXXXX";
        ASSERT_NE(mkdtemp(dir), nullptr);
        root_ = dir;
        fs::create_directories(root_ / "net/stat");
        fs::create_directories(root_ / "sys/net/netfilter");
    }
    void TearDown() override { fs::remove_all(root_); }
    void put(const std::string& path, const std::string& text) { std::ofstream(root_ / path) << text; }

    fs::path root_;
};

} // namespace

TEST_F(ProcStatsTest, PerCpuUsesConntrackNames)
{
    // The kernel's header and hex rows, one per possible CPU (6.1's layout).
    put("net/stat/nf_conntrack",
        "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop "
        "early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
        "00000007  00000001 0000000a 00000000 00000002 00000000 00000000 00000000 00000003 "
        "00000000 00000000 00000000 00000004  00000000 00000000 00000000 00000005\n"
        "00000007  00000000 00000010 00000000 00000000 00000000 00000000 00000000 00000000 "
        "00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000000\n");
    auto stats = makeProcStatsBackend(root_.string());
    auto cpus = stats->kernelPerCpu();
    ASSERT_TRUE(cpus.ok());
    ASSERT_EQ(cpus->size(), 2u);
    const auto& cpu0 = (*cpus)[0];
    EXPECT_EQ(cpu0.at("cpu"), 0u);
    EXPECT_EQ(cpu0.at("found"), 10u);
    EXPECT_EQ(cpu0.at("invalid"), 2u);
    EXPECT_EQ(cpu0.at("insert"), 3u);
    EXPECT_EQ(cpu0.at("clash_resolve"), 1u);
    EXPECT_EQ(cpu0.at("error"), 4u);
    EXPECT_EQ(cpu0.at("search_restart"), 5u);
    EXPECT_EQ(cpu0.count("entries"), 0u) << "entries is table-wide, not per CPU";
    EXPECT_EQ((*cpus)[1].at("cpu"), 1u);
    EXPECT_EQ((*cpus)[1].at("found"), 16u);
}

TEST_F(ProcStatsTest, GlobalCounters)
{
    put("sys/net/netfilter/nf_conntrack_count", "12\n");
    put("sys/net/netfilter/nf_conntrack_max", "262144\n");
    put("sys/net/netfilter/nf_conntrack_expect_max", "4096\n");
    put("net/nf_conntrack_expect", "line one\nline two\n");
    auto global = makeProcStatsBackend(root_.string())->kernelGlobal();
    ASSERT_TRUE(global.ok());
    EXPECT_EQ(global->at("entries"), 12u);
    EXPECT_EQ(global->at("max"), 262144u);
    EXPECT_EQ(global->at("expect_max"), 4096u);
    EXPECT_EQ(global->at("expectations"), 2u);
}

TEST_F(ProcStatsTest, MissingModuleIsAnError)
{
    auto stats = makeProcStatsBackend(root_.string());
    auto global = stats->kernelGlobal();
    ASSERT_FALSE(global.ok());
    EXPECT_EQ(global.error().code, ENOENT);
    EXPECT_FALSE(stats->kernelPerCpu().ok());
}
