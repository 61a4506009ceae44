// conntrackd's sync engine: the internal cache (fed by kernel events and dumps), the
// external cache (fed by the peers), and the replication protocol between them in one of
// conntrackd's modes:
//  - NOTRACK: best effort, every change sent once.
//  - FTFW: every message sequenced; the receiver acknowledges windows of ACKWindowSize and
//    NACKs gaps; the sender keeps what is not yet acknowledged in a resend queue bounded by
//    ResendQueueSize; HELLO / HELLO_BACK resets the peers' sequence tracking after a
//    restart; ALIVE (or a pending ACK) every second when idle. Where conntrackd silently
//    diverges (a NACK for messages already dropped from a full resend queue), this engine
//    sends its whole internal cache again and counts it.
//  - ALARM: every entry re-sent every RefreshTime; the peer's copies expire after
//    CacheTimeout without a refresh.
// Single-threaded and clock-driven: the service calls the intake functions from its loop,
// then flush() to send what they queued, and tick() about every second.
#pragma once

#include "link.hpp"
#include "sync/config/sync_config.hpp"
#include "commit_prep.hpp"
#include "expectation_cache.hpp"
#include "kernel_port.hpp"
#include "packet.hpp"
#include "sync_cache.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ctd::sync {

const char* modeName(SyncMode mode);

struct EngineSettings {
    SyncMode mode = SyncMode::Ftfw;
    size_t cacheLimit = 0; // HashLimit; 0 = unbounded
    size_t resendQueueSize = 131072; // FTFW ResendQueueSize (objects)
    uint32_t ackWindow = 300; // FTFW ACKWindowSize
    bool internalCacheDisabled = false; // NOTRACK DisableInternalCache
    bool externalCacheDisabled = false; // DisableExternalCache
    bool startupResync = false;
    uint32_t refreshTimeSec = 15; // ALARM RefreshTime
    uint32_t cacheTimeoutSec = 180; // ALARM CacheTimeout
    uint32_t purgeTimeoutSec = 60; // PurgeTimeout: conntrackd -t
    CommitSettings commit;
    // Options { ExpectationSync on|{ helpers }}: expectations are synced too; an empty
    // list means every helper.
    bool expectationSync = false;
    std::vector<std::string> expectationHelpers;
    // General Filter From Userspace: true = this entry is synced.
    std::function<bool(const Entry&)> accept;
};

struct EngineCounters {
    // network side (conntrackd -s network)
    uint64_t msgSent = 0;
    uint64_t msgReceived = 0;
    uint64_t msgMalformed = 0;
    uint64_t msgLost = 0; // sequence gaps seen by the receiver
    uint64_t msgBefore = 0; // replayed / delayed messages dropped
    uint64_t sendFailures = 0;
    uint64_t datagramsSent = 0;
    // FTFW
    uint64_t acksSent = 0;
    uint64_t nacksSent = 0;
    uint64_t acksReceived = 0;
    uint64_t nacksReceived = 0;
    uint64_t resent = 0;
    uint64_t resendQueueOverflows = 0; // oldest unacknowledged message dropped
    uint64_t unrecoverableNacks = 0; // answered with a full resend
    uint64_t resyncRequestsReceived = 0;
    uint64_t resyncRequestsSent = 0;
    uint64_t helloReceived = 0;
    // kernel side
    uint64_t eventsReceived = 0;
    uint64_t eventsFiltered = 0;
    uint64_t kernelResyncs = 0;
    uint64_t commits = 0;
    uint64_t injectFailures = 0;
    uint64_t txQueueDrops = 0;
    // conntrackd -s network's breakdown of msgMalformed
    uint64_t malformedVersion = 0;
    uint64_t malformedHeader = 0; // truncated header or bad size
    uint64_t malformedPayload = 0;
    uint64_t malformedType = 0;
    uint64_t malformedTruncated = 0;
    uint64_t malformedSize = 0;
    // counters of the flows destroyed here (conntrackd's "traffic processed")
    uint64_t trafficBytes = 0;
    uint64_t trafficPackets = 0;
    uint64_t expectationEvents = 0;
    uint64_t expectationsFiltered = 0;
};

class SyncEngine {
public:
    SyncEngine(EngineSettings settings, std::vector<std::unique_ptr<Link>> channels, KernelPort& kernel);

    const EngineSettings& settings() const { return settings_; }

    // --- intake -----------------------------------------------------------------
    // propagate false: a change this node made itself (its own commit or injection of a
    // peer's entries), cached but not sent back to the peer that it came from.
    void kernelEvent(EventType type, const Entry& entry, uint64_t nowMs, bool propagate = true);
    void kernelExpectationEvent(EventType type, const Expectation& x, uint64_t nowMs);
    // Replaces the internal cache with the kernel's table (NetlinkOverrunResync, start).
    // counted: false for the first read at start (conntrackd does not count it either).
    Result<void> resyncFromKernel(uint64_t nowMs, bool counted = true);
    // Reads every pending datagram of channel index.
    void channelReadable(size_t index, uint64_t nowMs);
    void datagramReceived(std::span<const uint8_t> datagram, uint64_t nowMs);

    // --- output and time --------------------------------------------------------
    // Sends everything queued, packed into datagrams up to the active channel's MTU.
    void flush(uint64_t nowMs);
    // Alive / pending ACK, ALARM refreshes and expiry. Call every 200 ms or so.
    void tick(uint64_t nowMs);

    // --- control (conntrackd -c -f -n -B -t ...) ---------------------------------
    Result<CommitReport> commitExternal(uint64_t nowMs);
    // What commitExternal would send, for a caller that sends it off the loop.
    std::vector<Entry> entriesToCommit(uint64_t nowMs);
    // The same one by one, without the copy: visit gets each entry as prepared for the
    // kernel, in commit order (entries with a master last).
    void forEachToCommit(uint64_t nowMs, const std::function<void(const Entry&)>& visit);
    // conntrackd -c expect: the external expectations, timeouts less the time they waited.
    std::vector<Expectation> expectationsToCommit(uint64_t nowMs) const;
    void flushInternalExpectations() { internalExp_.clear(); }
    void flushExternalExpectations() { externalExp_.clear(); }
    void flushInternal();
    void flushExternal();
    void requestResync(); // ask the peer for its whole internal cache
    void sendBulk(); // send our whole internal cache
    Result<uint64_t> resetKernelTimers();

    // --- links ------------------------------------------------------------------
    size_t channelCount() const { return channels_.size(); }
    Link& channel(size_t index) { return *channels_[index]; }
    size_t activeChannel() const { return active_; }
    bool channelUp(size_t index) const { return up_[index]; }
    // The link watcher reports carrier changes; losing the active link fails over to the
    // next one that is up. Returns true when the active channel changed.
    bool setChannelUp(size_t index, bool up);
    uint64_t failovers() const { return failovers_; }

    // --- state ------------------------------------------------------------------
    const SyncCache& internalCache() const { return internal_; }
    const SyncCache& externalCache() const { return external_; }
    const ExpectationCache& internalExpectations() const { return internalExp_; }
    const ExpectationCache& externalExpectations() const { return externalExp_; }
    const EngineCounters& counters() const { return counters_; }
    size_t resendQueueLength() const { return resend_.size(); }
    size_t txQueueLength() const { return tx_.size(); }
    // conntrackd -s rsqueue's lines: "object -> seq:N" / "control -> seq:N flags:F".
    std::vector<std::string> describeResendQueue() const;
    bool helloDone() const { return helloState_ == HelloState::Done; }

private:
    // Queued objects are the common case (a bulk send queues the whole cache), so a
    // message's Packet (over 1 KB) is held apart rather than in every item.
    struct TxItem {
        enum class Kind : uint8_t { Object, Message } kind;
        CacheKey key; // Object: the internal cache entry, sent with its state at xmit time
        std::unique_ptr<Packet> packet; // Message: control or a change with no cache object behind it
    };
    struct ResendItem {
        enum class Kind : uint8_t { Object, Message, Marker } kind;
        CacheKey key;
        std::unique_ptr<Packet> packet;
    };
    enum class HelloState : uint8_t { Init, Say, Done };

    void enqueueObject(const CacheKey& key, CacheObject& obj);
    void enqueueMessage(Packet packet);
    void enqueueControl(uint8_t flags, uint32_t from = 0, uint32_t to = 0);
    void enqueueWholeInternal();
    void applyReceived(const Packet& packet, uint64_t nowMs);
    void receiveFtfw(const Packet& packet, uint64_t nowMs);
    void receiveSimple(const Packet& packet, uint64_t nowMs);
    bool digestControl(const Packet& packet);
    void restartPeerSession();
    void handleAck(uint32_t from, uint32_t to);
    void handleNack(uint32_t from, uint32_t to);
    uint64_t extendSeq(uint32_t wire) const;
    void retain(uint64_t seq, ResendItem item);
    void dropResendHead();
    Packet buildObjectPacket(const CacheObject& obj) const;
    void send(Packet& packet, std::vector<uint8_t>& datagram, size_t mtu);
    void sendDatagram(std::vector<uint8_t>& datagram);
    void afterObjectSent(const CacheKey& key, CacheObject& obj, uint64_t seq);

    EngineSettings settings_;
    std::vector<std::unique_ptr<Link>> channels_;
    std::vector<bool> up_;
    size_t active_ = 0;
    uint64_t failovers_ = 0;
    KernelPort& kernel_;
    SyncCache internal_;
    SyncCache external_;
    ExpectationCache internalExp_;
    ExpectationCache externalExp_;
    EngineCounters counters_;

    std::deque<TxItem> tx_;
    std::map<uint64_t, ResendItem> resend_; // by extended sequence number
    uint64_t droppedUpTo_ = 0;
    bool fullResendDue_ = false; // highest sequence dropped unacknowledged (0 = none)
    uint64_t nextSeq_; // extended: the low 32 bits go on the wire
    uint64_t lastSendMs_ = 0;
    uint64_t lastAlarmScanMs_ = 0;
    uint32_t resyncPasses_ = 0;

    // receiver side (one tracker for the peer, as conntrackd 1.4.7)
    bool seqSet_ = false;
    uint32_t lastSeqReceived_ = 0;
    uint32_t window_ = 0;
    bool ackFromSet_ = false;
    uint32_t ackFrom_ = 0;
    HelloState helloState_ = HelloState::Init;
    bool sayHelloBack_ = false;
    bool peerHelloing_ = false;
    std::vector<uint8_t> rxBuffer_;
    EncodeOptions encodeOptions_;
};

} // namespace ctd::sync
