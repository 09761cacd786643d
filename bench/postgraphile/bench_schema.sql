-- The benchmark database only (bench/compare runs this; it is not one of Linli's migrations).
-- Schema `bench` gives PostGraphile the same search as Linli's nearbyFacilities (resolvers/facilities.py):
-- facilities whose WGS-84 geodesic distance to the point is below `meters` (exclusive; Linli's
-- Walking.radius), nearest first by that distance, ties by id. ST_DWithin on the sphere, 2 % and a
-- metre wider, bounds the GiST scan as Linli's does.
-- LANGUAGE sql, STABLE, not STRICT, no SET clause: Postgres inlines it. Arguments are qualified with
-- the function's name: `lat`/`lng` are also columns.
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

CREATE FUNCTION bench.nearby_facilities(lat float8, lng float8, meters float8)
RETURNS SETOF public.facilities
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT f.*
    FROM public.facilities AS f
   WHERE public.st_dwithin(
           f.location,
           public.st_setsrid(public.st_makepoint(nearby_facilities.lng, nearby_facilities.lat), 4326)::public.geography,
           nearby_facilities.meters * 1.02 + 1,
           false)
     AND public.st_distance(
           f.location,
           public.st_setsrid(public.st_makepoint(nearby_facilities.lng, nearby_facilities.lat), 4326)::public.geography,
           true)
         < nearby_facilities.meters
   ORDER BY public.st_distance(
              f.location,
              public.st_setsrid(public.st_makepoint(nearby_facilities.lng, nearby_facilities.lat), 4326)::public.geography,
              true),
            f.id
$$;

COMMENT ON FUNCTION bench.nearby_facilities(float8, float8, float8) IS
  'Facilities within `meters` (exclusive, WGS-84 geodesic distance) of a WGS-84 point, nearest first, ties by id.';
