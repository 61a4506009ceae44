#include "sync_engine.hpp"

#include <algorithm>
#include <ctime>

namespace ctd::sync {
namespace {

// Sequence comparison with wrap-around (RFC 1982 style, as net/tcp.h and conntrackd).
bool before(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }

PacketKind kindOf(EventType type)
{
    switch (type) {
    case EventType::Destroy: return PacketKind::CtDelete;
    case EventType::Update: return PacketKind::CtUpdate;
    default: return PacketKind::CtNew;
    }
}

Packet dataPacket(PacketKind kind, const Entry& entry)
{
    Packet p;
    p.kind = kind;
    p.entry = entry;
    return p;
}

bool sameSyncedState(const Entry& a, const Entry& b)
{
    auto tcpState = [](const Entry& e) { return e.tcp ? e.tcp->state : std::nullopt; };
    return a.status == b.status && a.mark == b.mark && tcpState(a) == tcpState(b) && a.reply == b.reply;
}

} // namespace

const char* modeName(SyncMode mode)
{
    switch (mode) {
    case SyncMode::Notrack: return "NOTRACK";
    case SyncMode::Ftfw: return "FTFW";
    case SyncMode::Alarm: return "ALARM";
    }
    return "?";
}

SyncEngine::SyncEngine(EngineSettings settings, std::vector<std::unique_ptr<Link>> channels, KernelPort& kernel)
    : settings_(std::move(settings)), channels_(std::move(channels)), up_(channels_.size(), true), kernel_(kernel),
      internal_("internal", settings_.cacheLimit), external_("external", settings_.cacheLimit),
      internalExp_("internal", settings_.cacheLimit), externalExp_("external", settings_.cacheLimit),
      // conntrackd starts its sequence at the current time, so a restarted node does not
      // reuse the numbers of its previous life; the 64-bit counter orders the resend queue.
      nextSeq_((uint64_t{1} << 32) + static_cast<uint32_t>(std::time(nullptr))),
      window_(settings_.ackWindow)
{
    for (size_t i = 0; i < channels_.size(); ++i)
        if (channels_[i]->spec().isDefault) {
            active_ = i;
            break;
        }
    if (settings_.ackWindow == 0)
        settings_.ackWindow = window_ = 300;
    encodeOptions_.tcpWindowTracking = settings_.commit.tcpWindowTracking;
    encodeOptions_.commitTimeout = settings_.commit.commitTimeout != 0;
}

// ---------------------------------------------------------------- kernel intake

void SyncEngine::kernelEvent(EventType type, const Entry& entry, uint64_t nowMs, bool propagate)
{
    ++counters_.eventsReceived;
    if (settings_.accept && !settings_.accept(entry)) {
        ++counters_.eventsFiltered;
        return;
    }
    if (type == EventType::Destroy) {
        for (const auto& c : {entry.countersOrig, entry.countersReply})
            if (c) {
                counters_.trafficBytes += c->bytes;
                counters_.trafficPackets += c->packets;
            }
    }
    if (settings_.internalCacheDisabled) {
        if (propagate)
            enqueueMessage(dataPacket(kindOf(type), entry));
        return;
    }
    const CacheKey key = cacheKeyOf(entry);
    if (!propagate) {
        // conntrackd does the same with its own commits: the entry is this node's now
        // (it will send it when it is primary and asked), but echoing it would fill the
        // peer's external cache with copies of its own connections.
        if (type == EventType::Destroy)
            internal_.erase(key);
        else if (CacheObject* obj = nullptr; internal_.upsert(entry, nowMs, &obj) != SyncCache::Upsert::Refused &&
                                             obj->state == ObjectState::New)
            obj->state = ObjectState::Alive;
        return;
    }
    if (type == EventType::Destroy) {
        CacheObject* obj = internal_.find(key);
        if (!obj) {
            // Not cached (filtered earlier, or born before a flush): the peer may still
            // hold it from a bulk, so the destroy goes out anyway.
            ++internal_.counters().deleteMissing;
            enqueueMessage(dataPacket(PacketKind::CtDelete, entry));
            return;
        }
        obj->setEntry(entry);
        obj->state = ObjectState::Dead;
        obj->lastUpdateMs = nowMs;
        enqueueObject(key, *obj);
        return;
    }
    CacheObject* obj = nullptr;
    if (internal_.upsert(entry, nowMs, &obj) == SyncCache::Upsert::Refused)
        return;
    if (settings_.mode == SyncMode::Alarm)
        obj->refreshDueMs = nowMs + settings_.refreshTimeSec * 1000ull;
    enqueueObject(key, *obj);
}

void SyncEngine::kernelExpectationEvent(EventType type, const Expectation& x, uint64_t nowMs)
{
    if (!settings_.expectationSync)
        return;
    ++counters_.expectationEvents;
    const auto& helpers = settings_.expectationHelpers;
    if (!helpers.empty() && std::find(helpers.begin(), helpers.end(), x.helper.value_or("")) == helpers.end()) {
        ++counters_.expectationsFiltered;
        return;
    }
    Packet p;
    p.expectation = x;
    if (type == EventType::Destroy) {
        internalExp_.erase(expectationKeyOf(x));
        p.kind = PacketKind::ExpDelete;
    } else {
        const bool known = internalExp_.find(expectationKeyOf(x)) != nullptr;
        if (!internalExp_.upsert(x, nowMs))
            return;
        p.kind = known ? PacketKind::ExpUpdate : PacketKind::ExpNew;
    }
    // Expectations are few and short-lived: sent as they come, resent from the resend
    // queue like control messages, not coalesced like connections.
    enqueueMessage(std::move(p));
}

Result<void> SyncEngine::resyncFromKernel(uint64_t nowMs, bool counted)
{
    if (counted)
        ++counters_.kernelResyncs;
    // Each object the dump finds is stamped with this pass: no set of the keys seen,
    // which cost about 100 bytes per entry at the moment memory is at its peak.
    const uint32_t pass = ++resyncPasses_;
    auto dumped = kernel_.dump([&](const Entry& entry) {
        if (settings_.accept && !settings_.accept(entry))
            return;
        const CacheKey key = cacheKeyOf(entry);
        if (settings_.internalCacheDisabled)
            return;
        CacheObject* existing = internal_.find(key);
        const bool changed = !existing || existing->state == ObjectState::Dead ||
                             !sameSyncedState(existing->entry(), entry);
        CacheObject* obj = nullptr;
        if (internal_.upsert(entry, nowMs, &obj) == SyncCache::Upsert::Refused)
            return;
        obj->resyncPass = pass;
        if (settings_.mode == SyncMode::Alarm && obj->refreshDueMs == 0)
            obj->refreshDueMs = nowMs + settings_.refreshTimeSec * 1000ull;
        // Events may have been lost: what changed meanwhile goes to the peer now.
        if (changed)
            enqueueObject(key, *obj);
    });
    if (!dumped)
        return dumped.error();
    if (settings_.expectationSync) {
        internalExp_.clear();
        auto exps = kernel_.dumpExpectations([&](const Expectation& x) { internalExp_.upsert(x, nowMs); });
        if (!exps)
            return exps.error();
    }
    // Entries the kernel no longer has died while we were not listening.
    // (enqueueObject changes only the queues, never the cache, so it may run in the walk.)
    internal_.forEach([&](const CacheKey& key, CacheObject& obj) {
        if (obj.state == ObjectState::Dead || obj.resyncPass == pass)
            return;
        obj.state = ObjectState::Dead;
        obj.lastUpdateMs = nowMs;
        enqueueObject(key, obj);
    });
    return Ok{};
}

// ---------------------------------------------------------------- queues

void SyncEngine::enqueueObject(const CacheKey& key, CacheObject& obj)
{
    switch (obj.slot) {
    case QueueSlot::Tx:
        return; // already waiting: it goes out once, with its latest state
    case QueueSlot::Resend:
        resend_.erase(obj.resendSeq);
        break;
    case QueueSlot::None:
        break;
    }
    obj.slot = QueueSlot::Tx;
    tx_.push_back(TxItem{TxItem::Kind::Object, key, {}});
}

void SyncEngine::enqueueMessage(Packet packet)
{
    // Objects are bounded by the cache; loose messages by the resend queue's size.
    const size_t bound = std::max<size_t>(settings_.resendQueueSize, 1024) + internal_.size();
    if (tx_.size() >= bound) {
        ++counters_.txQueueDrops;
        return;
    }
    tx_.push_back(TxItem{TxItem::Kind::Message, {}, std::make_unique<Packet>(std::move(packet))});
}

void SyncEngine::enqueueControl(uint8_t flags, uint32_t from, uint32_t to)
{
    Packet p;
    p.kind = PacketKind::Control;
    p.flags = flags;
    p.from = from;
    p.to = to;
    if (flags & flag::Ack)
        ++counters_.acksSent;
    if (flags & flag::Nack)
        ++counters_.nacksSent;
    enqueueMessage(std::move(p));
}

void SyncEngine::enqueueWholeInternal()
{
    if (settings_.internalCacheDisabled) {
        auto dumped = kernel_.dump([&](const Entry& entry) {
            if (!settings_.accept || settings_.accept(entry))
                enqueueMessage(dataPacket(PacketKind::CtUpdate, entry));
        });
        (void)dumped; // a failed dump leaves the peer to ask again; counted by the caller's stats
        return;
    }
    std::vector<CacheKey> keys;
    internal_.forEach([&](const CacheKey& key, const CacheObject& obj) {
        if (obj.state != ObjectState::Dead)
            keys.push_back(key);
    });
    for (const CacheKey& key : keys)
        enqueueObject(key, *internal_.find(key));
    internalExp_.forEach([&](const ExpectationKey&, const ExpectationObject& o) {
        Packet p;
        p.kind = PacketKind::ExpNew;
        p.expectation = o.expectation;
        enqueueMessage(std::move(p));
    });
}

Packet SyncEngine::buildObjectPacket(const CacheObject& obj) const
{
    PacketKind kind = PacketKind::CtUpdate;
    if (obj.state == ObjectState::New)
        kind = PacketKind::CtNew;
    else if (obj.state == ObjectState::Dead)
        kind = PacketKind::CtDelete;
    return dataPacket(kind, obj.entry());
}

// ---------------------------------------------------------------- output

void SyncEngine::flush(uint64_t nowMs)
{
    if (tx_.empty() || channels_.empty())
        return;
    const size_t mtu = channels_[active_]->mtu();
    std::vector<uint8_t> datagram;
    while (!tx_.empty()) {
        TxItem item = std::move(tx_.front());
        tx_.pop_front();
        if (item.kind == TxItem::Kind::Object) {
            CacheObject* obj = internal_.find(item.key);
            if (!obj || obj->slot != QueueSlot::Tx)
                continue; // flushed or already sent since it was queued
            Packet packet = buildObjectPacket(*obj);
            send(packet, datagram, mtu);
            afterObjectSent(item.key, *obj, nextSeq_ - 1);
            continue;
        }
        send(*item.packet, datagram, mtu);
        if (settings_.mode != SyncMode::Ftfw)
            continue;
        const uint64_t seq = nextSeq_ - 1;
        // ALIVE is never resent, but it holds its number so a NACK covering it is
        // known to be harmless rather than a loss the engine cannot repair.
        ResendItem kept{item.packet->isAlive() ? ResendItem::Kind::Marker : ResendItem::Kind::Message, {},
                        std::move(item.packet)};
        retain(seq, std::move(kept));
    }
    if (!datagram.empty())
        sendDatagram(datagram);
    lastSendMs_ = nowMs;
}

void SyncEngine::send(Packet& packet, std::vector<uint8_t>& datagram, size_t mtu)
{
    packet.seq = static_cast<uint32_t>(nextSeq_++);
    if (settings_.mode == SyncMode::Ftfw) {
        if (helloState_ != HelloState::Done) {
            packet.flags |= flag::Hello;
            helloState_ = HelloState::Say;
        }
        if (sayHelloBack_) {
            packet.flags |= flag::HelloBack;
            sayHelloBack_ = false;
        }
    }
    const size_t start = datagram.size();
    encodePacket(packet, encodeOptions_, datagram);
    if (datagram.size() > mtu && start > 0) {
        std::vector<uint8_t> tail(datagram.begin() + static_cast<ptrdiff_t>(start), datagram.end());
        datagram.resize(start);
        sendDatagram(datagram);
        datagram = std::move(tail);
    }
    ++counters_.msgSent;
}

void SyncEngine::sendDatagram(std::vector<uint8_t>& datagram)
{
    if (!channels_[active_]->send(datagram))
        ++counters_.sendFailures; // FTFW repairs it when the peer NACKs the gap
    else
        ++counters_.datagramsSent;
    datagram.clear();
}

void SyncEngine::afterObjectSent(const CacheKey& key, CacheObject& obj, uint64_t seq)
{
    if (obj.state == ObjectState::New)
        obj.state = ObjectState::Alive;
    if (settings_.mode == SyncMode::Ftfw) {
        obj.slot = QueueSlot::Resend;
        obj.resendSeq = seq;
        retain(seq, ResendItem{ResendItem::Kind::Object, key, {}});
        return;
    }
    obj.slot = QueueSlot::None;
    if (obj.state == ObjectState::Dead)
        internal_.erase(key);
}

void SyncEngine::retain(uint64_t seq, ResendItem item)
{
    while (!resend_.empty() && resend_.size() >= settings_.resendQueueSize)
        dropResendHead();
    resend_.emplace(seq, std::move(item));
}

void SyncEngine::dropResendHead()
{
    auto it = resend_.begin();
    if (it->second.kind == ResendItem::Kind::Object) {
        if (CacheObject* obj = internal_.find(it->second.key); obj && obj->slot == QueueSlot::Resend &&
                                                               obj->resendSeq == it->first) {
            obj->slot = QueueSlot::None;
            if (obj->state == ObjectState::Dead)
                internal_.erase(it->second.key);
        }
    }
    if (it->second.kind != ResendItem::Kind::Marker) {
        ++counters_.resendQueueOverflows;
        droppedUpTo_ = std::max(droppedUpTo_, it->first);
    }
    resend_.erase(it);
}

// ---------------------------------------------------------------- input

void SyncEngine::channelReadable(size_t index, uint64_t nowMs)
{
    // Bounded so one busy link cannot starve the rest of the loop.
    for (int i = 0; i < 256; ++i) {
        if (!channels_[index]->receive(rxBuffer_) || rxBuffer_.empty())
            return;
        datagramReceived(rxBuffer_, nowMs);
    }
}

void SyncEngine::datagramReceived(std::span<const uint8_t> datagram, uint64_t nowMs)
{
    DecodedDatagram decoded = decodePackets(datagram);
    counters_.msgMalformed += decoded.malformed;
    counters_.malformedVersion += decoded.kinds.badVersion;
    counters_.malformedType += decoded.kinds.badType;
    counters_.malformedPayload += decoded.kinds.badPayload;
    counters_.malformedTruncated += decoded.kinds.truncated;
    counters_.malformedSize += decoded.kinds.badSize;
    counters_.malformedHeader += decoded.kinds.truncated + decoded.kinds.badSize;
    for (const Packet& packet : decoded.packets) {
        ++counters_.msgReceived;
        if (settings_.mode == SyncMode::Ftfw)
            receiveFtfw(packet, nowMs);
        else
            receiveSimple(packet, nowMs);
    }
}

void SyncEngine::receiveSimple(const Packet& packet, uint64_t nowMs)
{
    if (seqSet_ && packet.seq != lastSeqReceived_ + 1) {
        if (before(packet.seq, lastSeqReceived_ + 1))
            ++counters_.msgBefore;
        else
            counters_.msgLost += packet.seq - (lastSeqReceived_ + 1);
    }
    if (packet.isData())
        applyReceived(packet, nowMs);
    else if (packet.isResync()) {
        ++counters_.resyncRequestsReceived;
        enqueueWholeInternal();
    }
    seqSet_ = true;
    lastSeqReceived_ = packet.seq;
}

void SyncEngine::receiveFtfw(const Packet& packet, uint64_t nowMs)
{
    bool bypass = false;
    if (packet.flags & flag::Hello) {
        // Every message of a peer carries HELLO until our HELLO_BACK reaches it; only the
        // first of them starts a new session. The rest are sequence-checked like any
        // other, or a lost one would be acknowledged by the next and never resent (and a
        // replayed one applied twice).
        sayHelloBack_ = true;
        // A HELLO while the peer's previous session was still saying HELLO (it died before
        // our HELLO_BACK reached it) is a new start too when its number cannot belong to
        // that session: one session's numbers only grow, by one a message, and a restart
        // begins again from the clock, which may be behind (or far ahead of) where the old
        // session had got to.
        const uint32_t expected = lastSeqReceived_ + 1;
        const uint32_t maxGap = static_cast<uint32_t>(std::max<size_t>(settings_.resendQueueSize, 65536));
        const bool restarted =
            seqSet_ && (before(packet.seq, expected) || static_cast<uint32_t>(packet.seq - expected) > maxGap);
        if (!peerHelloing_ || restarted) {
            peerHelloing_ = true;
            ++counters_.helloReceived;
            bypass = true;
            if (ackFromSet_ && before(packet.seq, ackFrom_)) {
                window_ = settings_.ackWindow - 1;
                ackFrom_ = packet.seq;
            }
            restartPeerSession();
        }
    } else {
        peerHelloing_ = false;
    }
    if ((packet.flags & flag::HelloBack) && helloState_ == HelloState::Say)
        helloState_ = HelloState::Done;

    const uint32_t expected = lastSeqReceived_ + 1;
    const bool inOrder = bypass || !seqSet_ || packet.seq == expected;
    if (!inOrder && before(packet.seq, expected)) {
        ++counters_.msgBefore; // delayed or replayed: never applied twice
        return;
    }
    if (packet.isData())
        applyReceived(packet, nowMs);
    else if (!digestControl(packet)) {
        ++counters_.msgMalformed;
        return;
    }
    if (inOrder) {
        if (!ackFromSet_) {
            ackFromSet_ = true;
            ackFrom_ = packet.seq;
        }
        if (--window_ == 0) {
            enqueueControl(flag::Ack, ackFrom_, packet.seq);
            window_ = settings_.ackWindow;
            ackFromSet_ = false;
        }
    } else {
        counters_.msgLost += packet.seq - expected;
        if (ackFromSet_)
            enqueueControl(flag::Ack, ackFrom_, expected - 1);
        enqueueControl(flag::Nack, expected, packet.seq - 1);
        window_ = settings_.ackWindow - 1;
        if (window_ == 0)
            window_ = 1;
        ackFrom_ = packet.seq;
        ackFromSet_ = true;
    }
    seqSet_ = true;
    lastSeqReceived_ = packet.seq;
}

void SyncEngine::restartPeerSession()
{
    // The peer's tracking of our numbers starts over, so what waits for its
    // acknowledgement is sent again, destroys included, and so is the rest of the cache:
    // a restarted peer has an empty external cache.
    for (auto& [seq, item] : resend_)
        if (item.kind == ResendItem::Kind::Object)
            if (CacheObject* obj = internal_.find(item.key);
                obj && obj->slot == QueueSlot::Resend && obj->resendSeq == seq) {
                obj->slot = QueueSlot::Tx;
                tx_.push_back(TxItem{TxItem::Kind::Object, item.key, {}});
            }
    resend_.clear();
    droppedUpTo_ = 0;
    enqueueWholeInternal();
}

bool SyncEngine::digestControl(const Packet& packet)
{
    if (packet.isAck()) {
        if (before(packet.to, packet.from))
            return false;
        ++counters_.acksReceived;
        handleAck(packet.from, packet.to);
        return true;
    }
    if (packet.isNack()) {
        if (before(packet.to, packet.from))
            return false;
        ++counters_.nacksReceived;
        handleNack(packet.from, packet.to);
        return true;
    }
    if (packet.isResync()) {
        ++counters_.resyncRequestsReceived;
        enqueueWholeInternal();
        return true;
    }
    return packet.isAlive();
}

uint64_t SyncEngine::extendSeq(uint32_t wire) const
{
    return nextSeq_ - static_cast<uint32_t>(static_cast<uint32_t>(nextSeq_) - wire);
}

void SyncEngine::handleAck(uint32_t from, uint32_t to)
{
    const uint64_t first = extendSeq(from), last = extendSeq(to);
    if (last < first)
        return;
    for (auto it = resend_.lower_bound(first); it != resend_.end() && it->first <= last;) {
        if (it->second.kind == ResendItem::Kind::Object)
            if (CacheObject* obj = internal_.find(it->second.key);
                obj && obj->slot == QueueSlot::Resend && obj->resendSeq == it->first) {
                obj->slot = QueueSlot::None;
                if (obj->state == ObjectState::Dead)
                    internal_.erase(it->second.key);
            }
        it = resend_.erase(it);
    }
}

void SyncEngine::handleNack(uint32_t from, uint32_t to)
{
    const uint64_t first = extendSeq(from), last = extendSeq(to);
    if (last < first)
        return;
    if (droppedUpTo_ != 0 && first <= droppedUpTo_) {
        // Part of what the peer misses left the full resend queue: only a complete
        // resend brings it back in line (conntrackd diverges silently here).
        // Done from tick(): at most once a second, or every NACK of a lossy burst would
        // queue the whole cache again.
        ++counters_.unrecoverableNacks;
        droppedUpTo_ = 0;
        fullResendDue_ = true;
    }
    for (auto it = resend_.lower_bound(first); it != resend_.end() && it->first <= last;) {
        ResendItem& item = it->second;
        if (item.kind == ResendItem::Kind::Object) {
            if (CacheObject* obj = internal_.find(item.key);
                obj && obj->slot == QueueSlot::Resend && obj->resendSeq == it->first) {
                obj->slot = QueueSlot::Tx;
                tx_.push_back(TxItem{TxItem::Kind::Object, item.key, {}});
                ++counters_.resent;
            }
        } else if (item.kind == ResendItem::Kind::Message) {
            std::unique_ptr<Packet> again = std::move(item.packet); // erased below
            again->flags &= static_cast<uint8_t>(~(flag::Hello | flag::HelloBack));
            tx_.push_back(TxItem{TxItem::Kind::Message, {}, std::move(again)});
            ++counters_.resent;
        }
        it = resend_.erase(it);
    }
}

void SyncEngine::applyReceived(const Packet& packet, uint64_t nowMs)
{
    switch (packet.kind) {
    case PacketKind::CtNew:
    case PacketKind::CtUpdate: {
        if (settings_.externalCacheDisabled) {
            auto type = packet.kind == PacketKind::CtNew ? EventType::New : EventType::Update;
            if (!kernel_.inject(type, prepareForCommit(packet.entry, settings_.commit, 0)))
                ++counters_.injectFailures;
            return;
        }
        CacheObject* obj = nullptr;
        if (external_.upsert(packet.entry, nowMs, &obj) != SyncCache::Upsert::Refused &&
            settings_.mode == SyncMode::Alarm)
            obj->refreshDueMs = nowMs + settings_.cacheTimeoutSec * 1000ull;
        return;
    }
    case PacketKind::CtDelete:
        if (settings_.externalCacheDisabled) {
            if (!kernel_.inject(EventType::Destroy, packet.entry))
                ++counters_.injectFailures;
            return;
        }
        external_.erase(cacheKeyOf(packet.entry)); // a destroy for nothing is counted
        return;
    case PacketKind::ExpNew:
    case PacketKind::ExpUpdate:
        if (!settings_.expectationSync)
            return; // conntrackd without ExpectationSync ignores them too
        if (settings_.externalCacheDisabled) {
            if (!kernel_.injectExpectation(EventType::New, packet.expectation))
                ++counters_.injectFailures;
            return;
        }
        externalExp_.upsert(packet.expectation, nowMs);
        return;
    case PacketKind::ExpDelete:
        if (!settings_.expectationSync)
            return;
        if (settings_.externalCacheDisabled) {
            if (!kernel_.injectExpectation(EventType::Destroy, packet.expectation))
                ++counters_.injectFailures;
            return;
        }
        externalExp_.erase(expectationKeyOf(packet.expectation));
        return;
    case PacketKind::Control:
        return;
    }
}

std::vector<std::string> SyncEngine::describeResendQueue() const
{
    std::vector<std::string> lines;
    lines.reserve(resend_.size());
    for (const auto& [seq, item] : resend_) {
        const uint32_t wire = static_cast<uint32_t>(seq);
        if (item.kind == ResendItem::Kind::Object || item.packet->isData())
            lines.push_back("object -> seq:" + std::to_string(wire));
        else
            lines.push_back("control -> seq:" + std::to_string(wire) + " flags:" + std::to_string(item.packet->flags));
    }
    return lines;
}

// ---------------------------------------------------------------- time

void SyncEngine::tick(uint64_t nowMs)
{
    if (fullResendDue_) {
        fullResendDue_ = false;
        enqueueWholeInternal();
    }
    // ALIVE carries a sequence number, so it is what reveals the loss of the last messages
    // of a burst. conntrackd sends it after a second of silence; while messages wait for
    // their acknowledgement ctd sends it after 200 ms, so a lost tail is NACKed and resent
    // in a fifth of the time.
    const uint64_t idleLimit = resend_.empty() ? 1000 : 200;
    if (settings_.mode == SyncMode::Ftfw && nowMs - lastSendMs_ >= idleLimit && !channels_.empty()) {
        if (ackFromSet_ && seqSet_) {
            enqueueControl(flag::Ack, ackFrom_, lastSeqReceived_);
            ackFromSet_ = false;
            window_ = settings_.ackWindow;
        } else {
            enqueueControl(flag::Alive);
        }
    }
    // ALARM walks both caches; once a second is its granularity (RefreshTime and
    // CacheTimeout are in seconds), not every 200 ms tick.
    if (settings_.mode == SyncMode::Alarm && nowMs - lastAlarmScanMs_ >= 1000) {
        lastAlarmScanMs_ = nowMs;
        const uint64_t refresh = settings_.refreshTimeSec * 1000ull;
        std::vector<CacheKey> due;
        internal_.forEach([&](const CacheKey& key, CacheObject& obj) {
            if (obj.state != ObjectState::Dead && obj.refreshDueMs != 0 && obj.refreshDueMs <= nowMs) {
                obj.refreshDueMs = nowMs + refresh;
                due.push_back(key);
            }
        });
        for (const CacheKey& key : due)
            enqueueObject(key, *internal_.find(key));
        external_.eraseIf([&](const CacheKey&, const CacheObject& obj) {
            return obj.refreshDueMs != 0 && obj.refreshDueMs <= nowMs;
        });
    }
    flush(nowMs);
}

// ---------------------------------------------------------------- control

Result<CommitReport> SyncEngine::commitExternal(uint64_t nowMs)
{
    return kernel_.commit(entriesToCommit(nowMs));
}

std::vector<Entry> SyncEngine::entriesToCommit(uint64_t nowMs)
{
    std::vector<Entry> entries;
    entries.reserve(external_.size());
    forEachToCommit(nowMs, [&](const Entry& e) { entries.push_back(e); });
    return entries;
}

void SyncEngine::forEachToCommit(uint64_t nowMs, const std::function<void(const Entry&)>& visit)
{
    ++counters_.commits;
    // An expected connection can only be created once its master exists: those last.
    for (const bool withMaster : {false, true})
        external_.forEach([&](const CacheKey&, const CacheObject& obj) {
            // A master tuple lives in the side allocation: most entries skip the second pass unexpanded.
            if (withMaster && !obj.record.hasSideAllocation())
                return;
            const Entry e = obj.entry();
            if (e.master.has_value() != withMaster)
                return;
            const uint64_t age = nowMs > obj.lastUpdateMs ? (nowMs - obj.lastUpdateMs) / 1000 : 0;
            visit(prepareForCommit(e, settings_.commit, age));
        });
}

std::vector<Expectation> SyncEngine::expectationsToCommit(uint64_t nowMs) const
{
    std::vector<Expectation> out;
    externalExp_.forEach([&](const ExpectationKey&, const ExpectationObject& o) {
        Expectation x = o.expectation;
        const uint64_t age = nowMs > o.lastUpdateMs ? (nowMs - o.lastUpdateMs) / 1000 : 0;
        if (settings_.commit.commitTimeout > 0)
            x.timeout = settings_.commit.commitTimeout;
        else if (x.timeout)
            x.timeout = static_cast<uint32_t>(*x.timeout > age ? *x.timeout - age : 60);
        x.id.reset();
        out.push_back(std::move(x));
    });
    return out;
}

void SyncEngine::flushInternal() { internal_.clear(); }

void SyncEngine::flushExternal() { external_.clear(); }

void SyncEngine::requestResync()
{
    ++counters_.resyncRequestsSent;
    enqueueControl(flag::Resync);
}

void SyncEngine::sendBulk() { enqueueWholeInternal(); }

Result<uint64_t> SyncEngine::resetKernelTimers() { return kernel_.resetTimers(settings_.purgeTimeoutSec); }

bool SyncEngine::setChannelUp(size_t index, bool up)
{
    if (index >= channels_.size() || up_[index] == up)
        return false;
    up_[index] = up;
    if (up && !up_[active_]) {
        active_ = index;
        ++failovers_;
        return true;
    }
    if (up || index != active_)
        return false;
    for (size_t step = 1; step < channels_.size(); ++step) {
        size_t next = (active_ + step) % channels_.size();
        if (up_[next]) {
            active_ = next;
            ++failovers_;
            return true;
        }
    }
    return false;
}

} // namespace ctd::sync
