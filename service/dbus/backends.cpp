#include "backends.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ctd::dbus {

namespace {

ctd::Error unavailable(const std::string& why, const char* what)
{
    return ctd::makeError(ENOTSUP, std::string(what) + " is not available: " + why);
}

std::optional<uint64_t> readNumber(const std::string& path)
{
    std::ifstream in(path);
    uint64_t value = 0;
    if (!(in >> value))
        return std::nullopt;
    return value;
}

// Count and Max are public and must answer even without the core (GetAll fails as a
// whole when one getter does): the sysctl files of the service's namespace have them.
ctd::Result<uint64_t> sysctlNumber(const char* name)
{
    auto value = readNumber(std::string("/proc/sys/net/netfilter/") + name);
    if (!value)
        return ctd::makeError(ENOENT, std::string("cannot read ") + name +
                                          " (is nf_conntrack loaded?)");
    return *value;
}

class UnavailableTableBackend final : public TableBackend {
public:
    explicit UnavailableTableBackend(std::string why) : why_(std::move(why)) {}
    void list(const QueryArgs&, const OutputFormat&, StreamPtr, CountDone done) override { done(unavailable(why_, "Table.List")); }
    void get(const EntryArgs&, const OutputFormat&, StreamPtr, CountDone done) override { done(unavailable(why_, "Table.Get")); }
    void create(const EntryArgs&, const OutputFormat&, StreamPtr, VoidDone done) override { done(unavailable(why_, "Table.Create")); }
    void update(const QueryArgs&, const Changes&, const OutputFormat&, StreamPtr, CountDone done) override { done(unavailable(why_, "Table.Update")); }
    void remove(const QueryArgs&, const OutputFormat&, StreamPtr, CountDone done) override { done(unavailable(why_, "Table.Delete")); }
    void flush(const QueryArgs&, CountDone done) override { done(unavailable(why_, "Table.Flush")); }
    void countMatching(const QueryArgs&, CountDone done) override { done(unavailable(why_, "Table.CountMatching")); }
    void load(int, LoadDone done) override { done(unavailable(why_, "Table.Load")); }
    ctd::Result<void> watch(const QueryArgs&, const OutputFormat&, StreamPtr) override { return unavailable(why_, "Table.Watch"); }
    ctd::Result<uint64_t> count() override { return sysctlNumber("nf_conntrack_count"); }
    ctd::Result<uint64_t> max() override { return sysctlNumber("nf_conntrack_max"); }

private:
    std::string why_;
};

class UnavailableExpectationBackend final : public ExpectationBackend {
public:
    explicit UnavailableExpectationBackend(std::string why) : why_(std::move(why)) {}
    void list(const QueryArgs&, const OutputFormat&, StreamPtr, CountDone done) override { done(unavailable(why_, "Expectations.List")); }
    void get(const ExpectationArgs&, const OutputFormat&, StreamPtr, CountDone done) override { done(unavailable(why_, "Expectations.Get")); }
    void create(const ExpectationArgs&, const OutputFormat&, StreamPtr, VoidDone done) override { done(unavailable(why_, "Expectations.Create")); }
    void remove(const QueryArgs&, const OutputFormat&, StreamPtr, CountDone done) override { done(unavailable(why_, "Expectations.Delete")); }
    void flush(const QueryArgs&, CountDone done) override { done(unavailable(why_, "Expectations.Flush")); }
    void countMatching(const QueryArgs&, CountDone done) override { done(unavailable(why_, "Expectations.CountMatching")); }
    ctd::Result<void> watch(const QueryArgs&, const OutputFormat&, StreamPtr) override { return unavailable(why_, "Expectations.Watch"); }
    ctd::Result<uint64_t> count() override
    {
        std::ifstream in("/proc/net/nf_conntrack_expect");
        if (!in)
            return unavailable(why_, "Expectations.Count");
        uint64_t lines = 0;
        for (std::string line; std::getline(in, line);)
            ++lines;
        return lines;
    }
    ctd::Result<uint64_t> max() override { return sysctlNumber("nf_conntrack_expect_max"); }

private:
    std::string why_;
};

class ProcStatsBackend final : public StatsBackend {
public:
    explicit ProcStatsBackend(std::string root) : root_(std::move(root)) {}

    ctd::Result<std::vector<Counters>> kernelPerCpu() override
    {
        std::ifstream in(root_ + "/net/stat/nf_conntrack");
        std::string header;
        if (!std::getline(in, header))
            return ctd::makeError(ENOENT, "no conntrack statistics (is nf_conntrack loaded?)");
        std::vector<std::string> names;
        std::istringstream fields(header);
        for (std::string name; fields >> name;)
            names.push_back(conntrackName(name));
        std::vector<Counters> cpus;
        // One row per possible CPU, in CPU order (the kernel's seq_file walk).
        for (std::string line; std::getline(in, line);) {
            std::istringstream values(line);
            Counters cpu{{"cpu", cpus.size()}};
            for (const auto& name : names) {
                std::string hex;
                if (!(values >> hex))
                    break;
                if (name != "entries")
                    cpu[name] = std::strtoull(hex.c_str(), nullptr, 16);
            }
            cpus.push_back(std::move(cpu));
        }
        return cpus;
    }

    ctd::Result<Counters> kernelGlobal() override
    {
        Counters counters;
        auto entries = readNumber(root_ + "/sys/net/netfilter/nf_conntrack_count");
        if (!entries)
            return ctd::makeError(ENOENT, "no nf_conntrack_count (is nf_conntrack loaded?)");
        counters["entries"] = *entries;
        if (auto max = readNumber(root_ + "/sys/net/netfilter/nf_conntrack_max"))
            counters["max"] = *max;
        if (auto max = readNumber(root_ + "/sys/net/netfilter/nf_conntrack_expect_max"))
            counters["expect_max"] = *max;
        std::ifstream expect(root_ + "/net/nf_conntrack_expect");
        if (expect) {
            uint64_t lines = 0;
            for (std::string line; std::getline(expect, line);)
                ++lines;
            counters["expectations"] = lines;
        }
        return counters;
    }

private:
    // The procfs header predates some names conntrack -S prints; use conntrack's.
    static std::string conntrackName(const std::string& name)
    {
        if (name == "clashres")
            return "clash_resolve";
        if (name == "icmp_error")
            return "error";
        if (name == "chainlength")
            return "chaintoolong";
        return name;
    }

    std::string root_;
};

} // namespace

std::unique_ptr<TableBackend> makeUnavailableTableBackend(std::string why)
{
    return std::make_unique<UnavailableTableBackend>(std::move(why));
}

std::unique_ptr<ExpectationBackend> makeUnavailableExpectationBackend(std::string why)
{
    return std::make_unique<UnavailableExpectationBackend>(std::move(why));
}

std::unique_ptr<StatsBackend> makeProcStatsBackend(std::string procRoot)
{
    return std::make_unique<ProcStatsBackend>(std::move(procRoot));
}

} // namespace ctd::dbus
