package finance

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/spreadsheet"
	"io"
)

// Filter keeps only the partners keep says yes to, and the total of
// those alone: what a partner officer is shown of the statement. The
// lines and the balance are the partnership's, which every partner funds
// and is reported to, so they stay.
func (st Statement) Filter(keep func(org int64) bool) Statement {
	out := st
	out.Partners = nil
	out.Total = PartnerRow{Partner: Partner{Name: "Total"}}
	for _, p := range st.Partners {
		if keep(p.Org) {
			out.Partners = append(out.Partners, p)
		}
	}
	if len(out.Partners) == len(st.Partners) {
		out.Total = st.Total
	} else {
		// Another partner's figures must not be worked out by
		// subtraction, so the total row shows only the visible ones.
		for _, p := range out.Partners {
			out.Total.Budget += p.Budget
			out.Total.Estimate += p.Estimate
			out.Total.Variance += p.Variance
			out.Total.ShareBP += p.ShareBP
			out.Total.CameraDays += p.CameraDays
		}
		out.Total.Cameras = Ratio{out.Total.CameraDays, st.Days * int64(One)}
		out.Warnings = nil
	}
	return out
}

// WriteText writes the statement as the Hertfordshire report prints it:
// whole pounds, whole average camera numbers and shares to two places.
func (st Statement) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s Partnership Estimates\n", st.Period)
	fmt.Fprintf(bw, "%-40s %10s %10s %10s %13s\n", "", "Budget", "Actuals", "Estimates", "Var to Budget")
	for _, l := range append(copyOf(st.Lines), st.Balance) {
		fmt.Fprintf(bw, "%-40s %10s %10s %10s %13s\n", l.Name, money.Whole(l.Budget), money.Whole(l.Actuals), money.Whole(l.Estimate), money.Whole(l.Variance()))
	}
	fmt.Fprintf(bw, "\n%-40s %10s %10s %10s %18s %18s\n", "", "Budget", "Estimate", "Variance", "Average Camera No.", "% of Total Cameras")
	for _, p := range append(copyOf(st.Partners), st.Total) {
		fmt.Fprintf(bw, "%-40s %10s %10s %10s %18s %18s\n", p.Name, money.Whole(p.Budget), money.Whole(p.Estimate), money.Whole(p.Variance),
			p.Cameras.Decimal(0)+" cameras", Percent(p.ShareBP))
	}
	for _, c := range st.Lines {
		if c.Comment != "" {
			fmt.Fprintf(bw, "\n%s: %s", c.Name, c.Comment)
		}
	}
	fmt.Fprintln(bw)
	return bw.Flush()
}

func copyOf[T any](s []T) []T { return append([]T(nil), s...) }

// CSVHeader names the columns of WriteCSV.
var CSVHeader = []string{"section", "name", "budget", "actuals", "estimate", "variance", "average_cameras", "share_percent", "comment"}

// WriteCSV writes every figure of the statement, money in pounds and
// pence, camera numbers to four places: one table a spreadsheet opens.
func (st Statement) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	for _, l := range st.Lines {
		cw.Write([]string{"line", spreadsheet.Text(l.Name), money.Plain(l.Budget), money.Plain(l.Actuals), money.Plain(l.Estimate), money.Plain(l.Variance()), "", "", spreadsheet.Text(l.Comment)})
	}
	b := st.Balance
	cw.Write([]string{"balance", spreadsheet.Text(b.Name), money.Plain(b.Budget), money.Plain(b.Actuals), money.Plain(b.Estimate), money.Plain(b.Variance()), "", "", ""})
	for _, p := range append(copyOf(st.Partners), st.Total) {
		section := "partner"
		if p.Org == 0 {
			section = "total"
		}
		cw.Write([]string{section, spreadsheet.Text(p.Name), money.Plain(p.Budget), "", money.Plain(p.Estimate), money.Plain(p.Variance), p.Cameras.Decimal(4),
			Ratio{p.ShareBP, 100}.Decimal(2), ""})
	}
	cw.Flush()
	return cw.Error()
}
