#include "entry_table.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace ctd::ctl {

namespace {

constexpr size_t kBufferedRows = 10000;
const std::vector<std::string> kHeader = {"PROTO", "SOURCE", "DESTINATION", "STATE",
                                          "TIMEOUT", "MARK", "FLAGS"};

std::string endpoint(const nlohmann::json& t, const char* addr, const char* port)
{
    std::string text = t.value(addr, std::string("?"));
    if (t.contains(port)) {
        // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on chained +.
        if (text.find(':') != std::string::npos) {
            text.insert(0, 1, '[');
            text += ']';
        }
        text += ':';
        text += std::to_string(t[port].get<long long>());
    }
    return text;
}

} // namespace

EntryTable::EntryTable(std::FILE* out, bool colour, bool legend)
    : out_(out), colour_(colour), legend_(legend)
{
    for (const auto& h : kHeader)
        widths_.push_back(h.size());
}

void EntryTable::addJsonLine(std::string_view line)
{
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("tuple-orig"))
        return;
    const auto& o = j["tuple-orig"];
    std::string state = "-";
    for (const char* info : {"protoinfo-tcp", "protoinfo-sctp", "protoinfo-dccp"}) {
        if (j.contains(info) && j[info].is_object())
            state = j[info].value("state", std::string("-"));
    }
    std::string flags;
    if (j.contains("status-names") && j["status-names"].is_array()) {
        for (const auto& f : j["status-names"]) {
            if (!flags.empty())
                flags += ',';
            flags += f.get<std::string>();
        }
    }
    Row row = {o.value("proto-name", std::string("?")),
               endpoint(o, "src", "proto-src-port"),
               endpoint(o, "dst", "proto-dst-port"),
               state,
               j.contains("timeout") ? std::to_string(j["timeout"].get<long long>()) : "-",
               j.contains("mark") ? std::to_string(j["mark"].get<long long>()) : "-",
               flags.empty() ? "-" : flags};
    if (streaming_) {
        printRow(row, false);
        return;
    }
    for (size_t i = 0; i < row.size(); ++i)
        widths_[i] = std::max(widths_[i], row[i].size());
    buffered_.push_back(std::move(row));
    if (buffered_.size() >= kBufferedRows)
        flushBuffered();
}

void EntryTable::flushBuffered()
{
    if (!streaming_ && legend_)
        printRow(kHeader, true);
    streaming_ = true;
    for (const auto& r : buffered_)
        printRow(r, false);
    buffered_.clear();
}

void EntryTable::finish()
{
    flushBuffered();
    std::fflush(out_);
}

void EntryTable::printRow(const Row& row, bool header)
{
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
        std::string cell = row[i];
        if (i + 1 < row.size())
            cell.resize(std::max(widths_[i], cell.size()) + 1, ' ');
        line += cell;
    }
    if (header && colour_)
        std::fprintf(out_, "\033[1m%s\033[0m\n", line.c_str());
    else
        std::fprintf(out_, "%s\n", line.c_str());
}

} // namespace ctd::ctl
