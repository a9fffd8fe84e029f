package finance

// naiveCameraDays is CameraDays done the obvious way, day by day: for
// every day of the period, replay each camera's history up to that day
// and count the camera as it then stood. It is the property tests'
// oracle and the benchmark's peer.
func naiveCameraDays(events []Event, weights map[string]Weight, partnerOf func(int64) int64, p Period) map[int64]int64 {
	out := map[int64]int64{}
	byCam := map[int64][]Event{}
	var order []int64
	for _, e := range events {
		if _, ok := byCam[e.Camera]; !ok {
			order = append(order, e.Camera)
		}
		byCam[e.Camera] = append(byCam[e.Camera], e)
	}
	for d := dayNumber(p.From()); d < dayNumber(p.To()); d++ {
		for _, cam := range order {
			active, org, w := false, int64(0), Weight(0)
			for _, e := range byCam[cam] {
				if dayNumber(e.Day) > d {
					break
				}
				switch e.Kind {
				case Installed:
					active, org, w = true, e.Org, weights[e.Category]
				case Recategorised:
					w = weights[e.Category]
				case OwnerChanged:
					org = e.Org
				case Decommissioned:
					active = false
				}
			}
			if active {
				if partner := partnerOf(org); partner != 0 {
					out[partner] += int64(w)
				}
			}
		}
	}
	return out
}
