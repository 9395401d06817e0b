-- Which station covers an area, as the customer service routed the orders that came from it: free slots
-- are searched by a customer's area before their order exists. The customer service owns the map; this is
-- what dispatch's orders said of it, kept beside them instead of an index on every work order's area.
CREATE TABLE area_station (
    area_code     TEXT PRIMARY KEY,
    station_code  TEXT NOT NULL REFERENCES station,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO area_station (area_code, station_code)
SELECT DISTINCT ON (area_code) area_code, station_code FROM work_order
 WHERE area_code IS NOT NULL ORDER BY area_code, id DESC;
DROP INDEX work_order_area;
