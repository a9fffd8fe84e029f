package cli

import (
	_ "embed"
	"fmt"
	"math"
)

// The demo's partnership: four councils sharing one control room, in a
// fictional town. Names and places are invented; the coordinates sit in
// Hertfordshire so that a map of them looks like somewhere.

//go:embed demo_outline.geojson
var demoOutline []byte

// demoCouncils are the partners, each with the centre of its patch, which
// generated cameras gather around, and streets to name them after.
var demoCouncils = []struct {
	name     string
	area     string
	lat, lon float64
	streets  []string
}{
	{"Lea Vale Borough Council", "Town Centre", 51.7960, -0.0790, []string{"Maidenhead Street", "Bull Plain", "Railway Street", "St Andrew Street", "Parliament Row", "Salisbury Square"}},
	{"Mimram District Council", "Hollins End", 51.8065, -0.1040, []string{"Mardley Lane", "Church Hill", "Welwyn Road", "Orchard Way", "Mill Green", "Holly Walk"}},
	{"Beane Valley District Council", "Watermead Estate", 51.8100, -0.0620, []string{"Watermead Way", "Beane Road", "Fanshawe Crescent", "Kiln Lane", "Sele Walk", "Brickfield Road"}},
	{"Kingsmead Town Council", "Kingsmead Village", 51.7820, -0.0620, []string{"Kingsmead High Street", "Priory Street", "Ware Lane", "Lock Road", "Meadow Close", "Ferry Lane"}},
}

// demoPlace is where demo camera i is and who owns it.
type demoPlace struct {
	name, council, area, site, description string
	lat, lon                               float64
}

// demoNamed are the first cameras, interleaved by council so that the
// default eight already show all four partners.
var demoNamed = []demoPlace{
	{"Market Place North", "Lea Vale Borough Council", "Town Centre", "Market Place", "Column by the Corn Exchange, looking south across the square", 51.79618, -0.07902},
	{"North Station Forecourt", "Mimram District Council", "Transport", "North Station", "Taxi rank and station entrance", 51.80012, -0.08571},
	{"Watermead Parade", "Beane Valley District Council", "Watermead Estate", "Watermead Parade", "Shops and the pharmacy, from the bus shelter", 51.80894, -0.06377},
	{"Kingsmead High Street East", "Kingsmead Town Council", "Kingsmead Village", "High Street", "Looking west from the war memorial", 51.78412, -0.06233},
	{"Market Place South", "Lea Vale Borough Council", "Town Centre", "Market Place", "Over the market stalls, looking north", 51.79574, -0.07866},
	{"Hollins End Green", "Mimram District Council", "Hollins End", "The Green", "Play area and the pub car park", 51.80633, -0.10514},
	{"Beane Retail Park Car Park", "Beane Valley District Council", "Car Parks", "Beane Retail Park", "Pan-tilt-zoom on the lighting column by the trolley bay", 51.81247, -0.05802},
	{"Kingsmead Leisure Centre", "Kingsmead Town Council", "Leisure", "Kingsmead Leisure Centre", "Main entrance and cycle racks", 51.78195, -0.05974},
	{"Fore Street", "Lea Vale Borough Council", "Town Centre", "Fore Street", "Night-time economy: the bars between the theatre and the bridge", 51.79552, -0.07721},
	{"North Station Footbridge", "Mimram District Council", "Transport", "North Station", "Both stairways of the footbridge", 51.80041, -0.08502},
	{"Watermead Community Centre", "Beane Valley District Council", "Watermead Estate", "Community Centre", "Car park and the side alley", 51.80961, -0.06512},
	{"Kingsmead Recreation Ground", "Kingsmead Town Council", "Leisure", "Recreation Ground", "Skate park and the pavilion", 51.78049, -0.06418},
	{"Bus Station Concourse", "Lea Vale Borough Council", "Transport", "Bus Station", "Canopy mount over stands A to F", 51.79702, -0.08231},
	{"Mardley Lane Junction", "Mimram District Council", "Hollins End", "Mardley Lane", "Junction with the Welwyn road", 51.80712, -0.10281},
	{"Riverside Car Park Entrance", "Lea Vale Borough Council", "Car Parks", "Riverside Car Park", "Barrier lanes and pay machines", 51.79466, -0.07512},
	{"Castle Gardens Gate", "Lea Vale Borough Council", "Parks", "Castle Gardens", "The gate from the town centre and the bandstand path", 51.79531, -0.08044},
}

// demoPlan returns demo camera i (from 1). Beyond the named ones, cameras
// take turns between the councils and spread on a sunflower spiral around
// each council's centre: close enough to stay within the outline, apart
// enough to be told apart on the map. The same i always gives the same
// place.
func demoPlan(i int) demoPlace {
	if i <= len(demoNamed) {
		return demoNamed[i-1]
	}
	k := i - len(demoNamed) - 1
	c := demoCouncils[k%len(demoCouncils)]
	j := k / len(demoCouncils) // this council's j-th generated camera
	street := c.streets[j%len(c.streets)]
	// At most 0.008 degrees of latitude (about 900 m) out, whatever n.
	r := 0.008 * math.Sqrt(float64(j+1)/float64(j+40))
	a := float64(j) * 2.399963 // the golden angle, in radians
	lat := c.lat + r*math.Sin(a)
	lon := c.lon + r*math.Cos(a)/math.Cos(c.lat*math.Pi/180)
	return demoPlace{
		name:    fmt.Sprintf("%s camera %d", street, i),
		council: c.name, area: c.area, site: street,
		description: "Simulated street camera",
		lat:         math.Round(lat*1e6) / 1e6, lon: math.Round(lon*1e6) / 1e6,
	}
}

// demoPolice is the demo's police force, below the partnership.
const demoPolice = "Shire Constabulary"

// demoSharing is the reference of the demo's sharing agreement: Lea Vale
// shares its town-centre cameras with the police, live and recorded, for
// a day from the demo's first run.
const demoSharing = "Lea Vale DSA 2026/01 (demo)"

// demoTownCentre is Lea Vale's camera group the agreement shares.
const demoTownCentre = "Lea Vale town centre"

// demoAccounts are the people of the demo's partnership, each showing a
// role: made at the first run, with passwords printed once, like admin's.
// Besides them, "operator" (ensureDemoOperator) is Lea Vale's own
// control-room operator, who sees Lea Vale's cameras alone.
var demoAccounts = []struct {
	username, organisation string
	roles                  []string
	about                  string
}{
	{"manager", "", []string{"cctv_manager"}, "CCTV manager: every partner's cameras, exports, cameras, groups and sharing"},
	{"supervisor", "", []string{"supervisor"}, "control-room supervisor: live, playback and export of every partner's cameras"},
	{"mimram-officer", "Mimram District Council", []string{"partner_officer"}, "Mimram's partner officer: Mimram's recorded footage, no live view"},
	{"police-viewer", demoPolice, []string{"police_viewer"}, "police viewer: what Lea Vale shares, until the agreement ends"},
	{"dpo", "", []string{"auditor"}, "data protection officer: the audit trail, no footage"},
}

// demoFourEyes: Kingsmead wants a second person to approve every export
// of its cameras' footage, and every deletion of it before its time.
const demoFourEyes = "Kingsmead Town Council"
