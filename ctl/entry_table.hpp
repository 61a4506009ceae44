// ctctl list on a terminal: the JSON records (docs/json.md) as aligned columns, the way
// networkctl prints its tables. Widths come from the first rows; later rows stream with
// those widths, so a big table never sits in memory.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace ctd::ctl {

class EntryTable {
public:
    EntryTable(std::FILE* out, bool colour, bool legend);
    void addJsonLine(std::string_view line);
    // Prints what is still buffered (and the header, if nothing was printed yet).
    void finish();

private:
    using Row = std::vector<std::string>;
    void flushBuffered();
    void printRow(const Row& row, bool header);

    std::FILE* out_;
    bool colour_;
    bool legend_;
    bool streaming_ = false;
    std::vector<Row> buffered_;
    std::vector<size_t> widths_;
};

} // namespace ctd::ctl
