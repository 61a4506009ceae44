#include "netlink_kernel_port.hpp"

#include "netlink/ctnl_build.hpp"

#include <cerrno>

namespace ctd::sync {
namespace {

// An entry the kernel already has is live traffic on this node: kept, and counted apart.
void countFailure(CommitReport& report, const Error& error)
{
    if (error.code == EEXIST) {
        ++report.existed;
        return;
    }
    ++report.failed;
    if (!report.firstError)
        report.firstError = error;
}

} // namespace

Result<void> NetlinkKernelPort::dump(const std::function<void(const Entry&)>& sink)
{
    auto r = table_.dump(Query{}, [&](const Entry& e) {
        sink(e);
        return true;
    });
    if (!r)
        return r.error();
    return Ok{};
}

Result<CommitReport> NetlinkKernelPort::commit(const std::vector<Entry>& entries)
{
    PreparedCommit prepared;
    for (const Entry& e : entries)
        prepared.add(e);
    return commit(prepared);
}

namespace {
constexpr size_t kChunkBytes = 256u << 10;
}

void PreparedCommit::add(const Entry& e)
{
    ++entries_;
    if (chunks_.empty() || chunks_.back().size() >= kChunkBytes)
        chunks_.emplace_back();
    if (auto r = nl::buildConntrackCreate(chunks_.back(), e, /*exclusive=*/true); !r) {
        ++buildFailed_;
        if (!firstError_)
            firstError_ = r.error();
    }
}

Result<CommitReport> NetlinkKernelPort::commit(const PreparedCommit& prepared)
{
    CommitReport report;
    report.failed = prepared.buildFailed_;
    report.firstError = prepared.firstError_;
    for (const nl::NlWriter& chunk : prepared.chunks_) {
        auto r = table_.sendBuilt(chunk.bytes(), [&](size_t, const Error& error) { countFailure(report, error); });
        if (!r)
            return r.error();
        report.created += r->done;
    }
    return report;
}

Result<void> NetlinkKernelPort::inject(EventType type, const Entry& entry)
{
    if (type == EventType::Destroy) {
        auto r = table_.remove(entry);
        if (!r && r.error().code != ENOENT)
            return r.error();
        return Ok{};
    }
    auto created = table_.create(entry);
    if (created || created.error().code != EEXIST)
        return created;
    return table_.update(entry);
}

Result<uint64_t> NetlinkKernelPort::resetTimers(uint32_t seconds)
{
    auto r = table_.updateEach(Query{}, [&](const Entry&, Entry& out) {
        out.timeout = seconds;
        return true;
    });
    if (!r)
        return r.error();
    return r->done;
}

Result<void> NetlinkKernelPort::dumpExpectations(const std::function<void(const Expectation&)>& sink)
{
    if (!expectations_)
        return makeError(ENOTSUP, "expectation table not opened");
    auto r = expectations_->dump(0, [&](const Expectation& x) {
        sink(x);
        return true;
    });
    if (!r)
        return r.error();
    return Ok{};
}

Result<CommitReport> NetlinkKernelPort::commitExpectations(const std::vector<Expectation>& xs)
{
    if (!expectations_)
        return makeError(ENOTSUP, "expectation table not opened");
    // One at a time: expectations are few (one per helper session), and each needs its
    // master committed first, which a failure here names.
    CommitReport report;
    for (const Expectation& x : xs) {
        auto r = expectations_->create(x);
        if (r)
            ++report.created;
        else if (r.error().code == EEXIST)
            ++report.existed;
        else {
            ++report.failed;
            if (!report.firstError)
                report.firstError = r.error();
        }
    }
    return report;
}

Result<void> NetlinkKernelPort::injectExpectation(EventType type, const Expectation& x)
{
    if (!expectations_)
        return makeError(ENOTSUP, "expectation table not opened");
    if (type == EventType::Destroy) {
        auto r = expectations_->remove(x);
        if (!r && r.error().code != ENOENT)
            return r.error();
        return Ok{};
    }
    auto r = expectations_->create(x);
    if (!r && r.error().code != EEXIST)
        return r.error();
    return Ok{};
}

} // namespace ctd::sync
