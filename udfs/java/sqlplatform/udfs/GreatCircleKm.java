package sqlplatform.udfs;

import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code great_circle_km(lat1, lon1, lat2, lon2)}: the distance in km between two points given in
 * degrees, by the seed's haversine formula on a sphere of radius 6371 km (udfs/haversine.py, the
 * impossible-travel rule's Python function, is the same formula); NULL when a coordinate is.
 *
 * <p>The fraud model's features measure a distance for every transaction; in Java it costs no
 * trip to a Python worker, which the rule only makes for its few pre-filtered candidates.
 */
public class GreatCircleKm extends ScalarFunction {

    static final double EARTH_RADIUS_KM = 6371.0;

    public Double eval(Double lat1, Double lon1, Double lat2, Double lon2) {
        if (lat1 == null || lon1 == null || lat2 == null || lon2 == null) {
            return null;
        }
        double dLat = Math.toRadians(lat2 - lat1);
        double dLon = Math.toRadians(lon2 - lon1);
        double a = Math.sin(dLat / 2) * Math.sin(dLat / 2)
                + Math.cos(Math.toRadians(lat1)) * Math.cos(Math.toRadians(lat2))
                * Math.sin(dLon / 2) * Math.sin(dLon / 2);
        return EARTH_RADIUS_KM * 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
    }
}
